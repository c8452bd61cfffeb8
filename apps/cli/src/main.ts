/**
 * The `fleet` command (README.md): `pnpm fleet <command> ...` from the repository root, or the
 * package's `fleet` bin. Every failure is a few lines on stderr and a non-zero exit, never a stack
 * trace (FLEET_DEBUG=1 adds it for unexpected errors).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from './args.js';
import { CliError, EXIT } from './cli-error.js';
import { COMMANDS } from './commands/index.js';
import { runCli } from './run.js';

/** apps/cli/src → the repository root, where `fleet up` writes `.fleet/up.json`. */
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * pnpm runs root scripts in the root: a relative path given to `pnpm fleet` is relative to where
 * the user typed it (INIT_CWD). Only then: a process started some other way keeps its own cwd,
 * even when it inherited INIT_CWD from an outer pnpm run.
 */
const baseDir =
  process.env.npm_lifecycle_event === 'fleet' && process.env.INIT_CWD ? process.env.INIT_CWD : process.cwd();

function report(error: unknown): number {
  if (error instanceof CliError) {
    for (const line of error.lines) process.stderr.write(`${line}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`fleet: unexpected error: ${message.split('\n')[0]}\n`);
  if (process.env.FLEET_DEBUG && error instanceof Error && error.stack)
    process.stderr.write(`${error.stack}\n`);
  return EXIT.failed;
}

async function exit(code: number): Promise<never> {
  // Let what was written reach a pipe before leaving (sockets and timers may still hold the loop).
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}

/** Every command but `up` (which keeps running until Ctrl-C: it is the stack's own process). */
async function command(): Promise<void> {
  process.on('uncaughtException', (error) => void exit(report(error)));
  process.on('unhandledRejection', (error) => void exit(report(error)));
  // `fleet batches results <id> | head`: a closed pipe ends the command quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.ok);
  });

  let code: number;
  try {
    code = await runCli(parseCommandLine(process.argv.slice(2), COMMANDS), {
      env: process.env,
      baseDir,
      upFile: process.env.FLEET_UP_FILE || join(repoRoot, '.fleet', 'up.json'),
    });
  } catch (error) {
    code = report(error);
  }
  await exit(code);
}

if (process.argv[2] === 'up') {
  const up = await import('./up/main.js');
  await up.main(process.argv.slice(3));
} else {
  await command();
}
