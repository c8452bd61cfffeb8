import { ApiClient } from './api-client.js';
import type { CommandLine } from './args.js';
import type { CommandContext, Output } from './commands/command.js';
import { resolveSettings, type Settings } from './settings.js';

export interface Environment {
  env: NodeJS.ProcessEnv;
  /** Where relative paths given on the command line are resolved. */
  baseDir: string;
  /** The file `fleet up` writes. */
  upFile: string;
}

const stdout: Output = {
  print: (text) => void process.stdout.write(`${text}\n`),
  write: (text) => void process.stdout.write(text),
  stream: process.stdout,
  isTTY: process.stdout.isTTY === true,
  get columns() {
    // A terminal that reports no size (0, e.g. under `script`) is taken as 80 wide.
    return process.stdout.columns || Number(process.env.COLUMNS) || 80;
  },
};

/** Runs a parsed command line; resolves the exit code (failures are thrown as CliError). */
export async function runCli(
  line: CommandLine,
  environment: Environment,
  out: Output = stdout,
): Promise<number> {
  if (line.kind === 'help') {
    out.print(line.text);
    return 0;
  }
  const { command, args, flags } = line;
  let settings: Settings | undefined;
  let api: ApiClient | undefined;
  const ctx: CommandContext = {
    args,
    flags,
    out,
    baseDir: environment.baseDir,
    settings() {
      settings ??= resolveSettings(
        {
          apiUrl: flags['api-url'] as string | undefined,
          apiKey: flags['api-key'] as string | undefined,
          notifierUrl: flags['notifier-url'] as string | undefined,
        },
        environment.env,
        environment.upFile,
      );
      return settings;
    },
    api() {
      api ??= new ApiClient(ctx.settings());
      return api;
    },
  };
  return command.run(ctx);
}
