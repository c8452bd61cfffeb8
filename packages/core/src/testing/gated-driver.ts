import type { Step } from '@fleet/contracts';
import { NonRetryableError } from '../errors.js';
import type { BrowserDriver, RunStepsOptions, StepsOutcome } from '../ports/browser-driver.js';
import type { WebDriverEndpoint } from '../ports/profile-provider.js';

/**
 * Like the WebdriverIO driver: a run lasts until `finish()` (or `fail(error)`), and rejects with
 * `ABORTED` when its signal fires. `ignoreAbort` makes it finish normally even when aborted (a run
 * that ended just as the cancel came).
 */
export class GatedDriver implements BrowserDriver {
  started = 0;
  ignoreAbort = false;
  /** The options of every run, in order. */
  readonly options: RunStepsOptions[] = [];
  private settle: { resolve: () => void; reject: (error: unknown) => void } | null = null;
  private readonly waiters: { runs: number; resolve: () => void }[] = [];

  /** Resolves once `runs` runs have started (the first by default). */
  whenStarted(runs = 1): Promise<void> {
    if (this.started >= runs) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push({ runs, resolve });
    });
  }

  /** Ends the latest run with a success. */
  finish(): void {
    this.running().resolve();
  }

  /** Ends the latest run with `error` (e.g. a step failure). */
  fail(error: unknown): void {
    this.running().reject(error);
  }

  run(_endpoint: WebDriverEndpoint, _steps: Step[], options: RunStepsOptions): Promise<StepsOutcome> {
    this.started++;
    this.options.push(options);
    for (const w of this.waiters.filter((w) => w.runs <= this.started)) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
    return new Promise((resolve, reject) => {
      this.settle = {
        resolve: () => resolve({ data: { ok: true }, artifacts: {}, url: null, title: null }),
        reject,
      };
      if (this.ignoreAbort) return;
      const abort = () => reject(new NonRetryableError('ABORTED', 'the run was aborted'));
      if (options.signal.aborted) abort();
      else options.signal.addEventListener('abort', abort, { once: true });
    });
  }

  private running(): { resolve: () => void; reject: (error: unknown) => void } {
    if (!this.settle) throw new Error('GatedDriver: no run has started');
    return this.settle;
  }
}
