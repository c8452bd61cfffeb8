/** Waits `ms`; rejects with the signal's reason as soon as it fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface PollOptions {
  timeoutMs: number;
  signal: AbortSignal;
  /** Pause between probes; WebdriverIO's own waits use 100 ms (`waitforInterval`). */
  intervalMs?: number;
}

/**
 * Calls `probe` until it answers a value (returned), `timeoutMs` passes (undefined) or the signal
 * fires (rejects with its reason). Probes at least once, so a zero timeout still looks.
 */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  options: PollOptions,
): Promise<T | undefined> {
  const end = Date.now() + options.timeoutMs;
  for (;;) {
    if (options.signal.aborted) throw options.signal.reason;
    const value = await probe();
    if (value !== undefined) return value;
    const left = end - Date.now();
    if (left <= 0) return undefined;
    await sleep(Math.min(options.intervalMs ?? 100, left), options.signal);
  }
}
