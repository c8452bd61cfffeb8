/** Why a run or a step was cut short. */
export type StopReason = 'aborted' | 'deadline' | 'timeout';

/**
 * Thrown when the caller's signal fired, the item's deadline passed or a step overran its own
 * timeout. Internal: the step runner turns it into a domain error that names the step.
 */
export class Interrupted extends Error {
  constructor(
    readonly reason: StopReason,
    options: { cause?: unknown } = {},
  ) {
    super(`interrupted: ${reason}`, options);
    this.name = 'Interrupted';
  }
}

// setTimeout fires at once for delays above 2^31-1 ms; a far deadline must not.
const MAX_TIMER_MS = 2 ** 31 - 1;

function timerMs(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_TIMER_MS);
}

/**
 * The limits of one run: the caller's abort signal and the item's deadline, folded into one
 * signal, plus `race` to bound each step by them and by the step's own timeout.
 */
export class RunLimits {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly onExternalAbort: () => void;

  constructor(
    readonly deadlineAt: number,
    private readonly external: AbortSignal,
  ) {
    this.onExternalAbort = () => this.stop(new Interrupted('aborted', { cause: external.reason }));
    external.addEventListener('abort', this.onExternalAbort, { once: true });
    this.timer = setTimeout(() => this.stop(new Interrupted('deadline')), timerMs(deadlineAt - Date.now()));
    if (external.aborted) this.onExternalAbort();
    else if (Date.now() >= deadlineAt) this.stop(new Interrupted('deadline'));
  }

  /** Fires (with an `Interrupted` reason) when the run is aborted or its deadline passes. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  throwIfStopped(): void {
    if (this.signal.aborted) throw this.signal.reason;
  }

  /**
   * Settles with `work`, or rejects with `Interrupted` as soon as the run stops or `timeoutMs`
   * passes, whichever comes first. `work` gets a signal that fires in all those cases, so its
   * polling loops end too; a WebDriver command already sent is left to finish on its own.
   */
  async race<T>(timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.throwIfStopped();
    const step = new AbortController();
    const forward = () => step.abort(this.signal.reason);
    this.signal.addEventListener('abort', forward, { once: true });
    const timer = setTimeout(() => step.abort(new Interrupted('timeout')), timerMs(timeoutMs));
    let onStop = () => {};
    const stopped = new Promise<never>((_, reject) => {
      onStop = () => reject(step.signal.reason);
      step.signal.addEventListener('abort', onStop, { once: true });
    });
    const running = work(step.signal);
    // The loser of the race may still reject later (a command answering after an abort):
    // that must not surface as an unhandled rejection.
    running.catch(() => {});
    try {
      return await Promise.race([running, stopped]);
    } finally {
      clearTimeout(timer);
      this.signal.removeEventListener('abort', forward);
      step.signal.removeEventListener('abort', onStop);
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.external.removeEventListener('abort', this.onExternalAbort);
  }

  private stop(reason: Interrupted): void {
    clearTimeout(this.timer);
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }
}
