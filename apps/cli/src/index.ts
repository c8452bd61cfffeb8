// The CLI's parts, for `fleet up` and tests that drive a command in-process.
export { ApiClient } from './api-client.js';
export { type CommandLine, parseCommandLine } from './args.js';
export { readBatchFile, validateBatch } from './batch-file.js';
export { CliError, EXIT, type ExitCode } from './cli-error.js';
export type { Command, CommandContext, Output } from './commands/command.js';
export { COMMANDS } from './commands/index.js';
export { type Environment, runCli } from './run.js';
export { resolveSettings, type Settings } from './settings.js';
export { type DemoSite, product, startDemoSite } from './up/demo-site.js';
export { type RunningStack, startStack, type UpInfo, type UpOptions } from './up/stack.js';
