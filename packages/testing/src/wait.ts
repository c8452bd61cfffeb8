import { setTimeout as delay } from 'node:timers/promises';

/** Waits `ms` (tests, benches, scripts). Production code that must stop early passes a signal to
 * `node:timers/promises` itself. */
export function sleep(ms: number): Promise<void> {
  return delay(ms);
}

export interface WaitForOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between probes (default 50 ms). */
  intervalMs?: number;
  /** Extra words for the timeout error, e.g. a child process's output so far. */
  context?: () => string;
}

/**
 * Polls `check` until it answers something other than `undefined` or `false` and returns that
 * answer (`true` for a plain condition). Throws naming `what` once `timeoutMs` has passed. Probes at
 * least once, and once more at the deadline, so a slow machine does not fail a check that holds.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: WaitForOptions = {},
): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) {
      const more = options.context?.();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${more ? `\n${more}` : ''}`);
    }
    await delay(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}
