/**
 * One signal that fires when any of `signals` fires (or `abort` is called), with a `dispose` that
 * detaches it again.
 * `AbortSignal.any` would do, but on Node 20 it keeps every combined signal alive as long as its
 * sources live (nodejs/node#55351): a warm session's `lost` signal lives for thousands of items.
 */
export interface LinkedSignal {
  signal: AbortSignal;
  /** Fires the signal itself (a no-op once it fired). */
  abort(reason: unknown): void;
  dispose(): void;
}

export function linkSignals(...signals: AbortSignal[]): LinkedSignal {
  const controller = new AbortController();
  const listeners = signals.map((source) => {
    const listener = () => controller.abort(source.reason);
    if (source.aborted) controller.abort(source.reason);
    else source.addEventListener('abort', listener, { once: true });
    return { source, listener };
  });
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    dispose: () => {
      for (const { source, listener } of listeners) source.removeEventListener('abort', listener);
    },
  };
}
