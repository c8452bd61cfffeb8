import { printableUrl } from '@fleet/client';

/**
 * Exit codes of the `fleet` command (README.md). Every failure leaves through a CliError: its lines
 * go to stderr, its code is the exit status, and no stack trace is ever printed.
 */
export const EXIT = {
  ok: 0,
  /** The API refused the request (`CODE: message`), or a watched batch had failed items. */
  failed: 1,
  /** The command line or the batch file is wrong: nothing was sent. */
  usage: 2,
  /** The API (or the notifier) could not be reached. */
  unreachable: 3,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    /** What the user reads: the first line says what went wrong; any others add details. */
    readonly lines: string[],
    readonly exitCode: ExitCode,
  ) {
    super(lines[0] ?? 'failed');
  }
}

/** Bad command line or input file: nothing was sent. */
export function usageError(message: string, ...more: string[]): CliError {
  return new CliError([message, ...more], EXIT.usage);
}

/** A URL without any user:password part, safe to print (the SDK's). */
export { printableUrl };

export function unreachable(what: 'API' | 'notifier', url: string): CliError {
  return new CliError(
    [`cannot reach the ${what} at ${printableUrl(url)}: is the fleet running? (pnpm start)`],
    EXIT.unreachable,
  );
}
