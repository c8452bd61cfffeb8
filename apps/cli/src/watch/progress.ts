/** A batch's counts as the watcher knows them; they only ever grow. */
export interface Progress {
  total: number;
  completed: number;
  failed: number;
}

/** Counts from two sources (events of different workers arrive out of order): the larger wins. */
export function mergeProgress(a: Progress, b: Partial<Progress> | undefined): Progress {
  const n = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
  return {
    total: Math.max(a.total, n(b?.total)),
    completed: Math.max(a.completed, n(b?.completed)),
    failed: Math.max(a.failed, n(b?.failed)),
  };
}

export const done = (p: Progress) => p.completed + p.failed;

/**
 * Items per second over the last `windowMs`, from samples of (time, items done). The window makes
 * the rate follow the fleet when workers are added or a slow stretch ends.
 */
export class RateMeter {
  private readonly samples: { at: number; done: number }[] = [];

  constructor(private readonly windowMs = 20_000) {}

  sample(at: number, itemsDone: number): void {
    const last = this.samples.at(-1);
    if (last && last.done === itemsDone && at - last.at < 1000) return;
    this.samples.push({ at, done: itemsDone });
    while (this.samples.length > 2 && at - this.samples[1]!.at > this.windowMs) this.samples.shift();
  }

  /** Items per second, or null until there is a second of history with progress in it. */
  rate(at: number): number | null {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.done === first.done) return null;
    const seconds = (Math.max(at, last.at) - first.at) / 1000;
    return seconds >= 1 ? (last.done - first.done) / seconds : null;
  }
}

export interface BarState {
  progress: Progress;
  /** Items per second, null when not known yet. */
  rate: number | null;
  /** Shown after the figures, e.g. "reconnecting". */
  note?: string | null | undefined;
}

/** One status line: `[#####-----]  7/12  ok 6  failed 1  2.3/s  ETA 3 s`, cut to `width`. */
export function renderBar(state: BarState, width: number, formatDuration: (ms: number) => string): string {
  const { progress, rate } = state;
  const finished = done(progress);
  const fraction = progress.total > 0 ? Math.min(1, finished / progress.total) : 0;
  const remaining = Math.max(0, progress.total - finished);
  const etaMs = rate && rate > 0 ? (remaining / rate) * 1000 : null;
  const eta = etaMs === null ? 'ETA --' : `ETA ${etaMs < 1000 ? '<1 s' : formatDuration(etaMs)}`;
  const figures = [
    `${finished}/${progress.total}`,
    `done ${progress.completed}`,
    `failed ${progress.failed}`,
    rate === null ? '-- items/s' : `${rate.toFixed(rate < 10 ? 1 : 0)} items/s`,
    remaining === 0 ? '' : eta,
    state.note ?? '',
  ]
    .filter((part) => part !== '')
    .join('  ');
  // Fixed for a given terminal, so the bar does not jump as the figures grow.
  const barWidth = Math.max(10, Math.min(30, width - 70));
  const filled = Math.round(fraction * barWidth);
  const line = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${figures}`;
  return line.length > width ? line.slice(0, Math.max(0, width)) : line;
}
