import { type FleetEvent, parseItemId } from '@fleet/contracts';
import type { Output } from '../commands/command.js';
import { duration } from '../table.js';
import { done, type Progress, RateMeter, renderBar } from './progress.js';

/** What the watcher shows while it waits. */
export interface ProgressView {
  /** Watching has begun (subscribed, counts read). */
  started(progress: Progress): void;
  /** An item event arrived; `progress` already includes it. */
  item(event: FleetEvent, progress: Progress): void;
  /** Counts changed without an item event (re-read from the API). */
  update(progress: Progress): void;
  /** Subscribed again after a lost connection (missed events replayed), counts re-read. */
  resumed(progress: Progress): void;
  /** A passing condition ("reconnecting"), or null when it is over. */
  note(text: string | null): void;
  close(): void;
}

/** No live output (`--json`: only the final document is printed). */
export const silentView: ProgressView = {
  started() {},
  item() {},
  update() {},
  resumed() {},
  note() {},
  close() {},
};

const itemIndex = (event: FleetEvent) =>
  event.itemId ? (parseItemId(event.itemId)?.index ?? event.itemId) : '?';

function itemLine(event: FleetEvent): string {
  const data = event.data as {
    durationMs?: unknown;
    error?: { code?: unknown; step?: unknown; path?: unknown };
  };
  const took = typeof data.durationMs === 'number' ? ` in ${duration(data.durationMs)}` : '';
  switch (event.type) {
    case 'item.started':
      return `item ${itemIndex(event)} started${event.profileId ? ` on profile ${event.profileId}` : ''}`;
    case 'item.completed':
      return `item ${itemIndex(event)} completed${took}`;
    default: {
      const code = typeof data.error?.code === 'string' ? data.error.code : 'FAILED';
      const step =
        typeof data.error?.path === 'string'
          ? ` at ${data.error.path}`
          : typeof data.error?.step === 'number'
            ? ` at step ${data.error.step}`
            : '';
      return `item ${itemIndex(event)} failed${took}: ${code}${step}`;
    }
  }
}

const counts = (p: Progress) => `${done(p)}/${p.total} done, ${p.failed} failed`;

/** Not a terminal (a pipe, a CI log): one line per item event, nothing redrawn. */
export class LineView implements ProgressView {
  private lastNote: string | null = null;

  constructor(private readonly out: Output) {}

  started(progress: Progress): void {
    this.out.print(`watching: ${counts(progress)}`);
  }

  item(event: FleetEvent, progress: Progress): void {
    this.out.print(
      event.type === 'item.started' ? itemLine(event) : `${itemLine(event)} (${counts(progress)})`,
    );
  }

  update(): void {}

  resumed(progress: Progress): void {
    this.out.print(`watching again: ${counts(progress)}`);
    this.lastNote = null;
  }

  note(text: string | null): void {
    if (text && text !== this.lastNote) this.out.print(text);
    this.lastNote = text;
  }

  close(): void {}
}

/** A terminal: one status line redrawn in place (done/failed/total, rate, ETA); failures above it. */
export class BarView implements ProgressView {
  private progress: Progress = { total: 0, completed: 0, failed: 0 };
  private readonly meter = new RateMeter();
  private noteText: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private drawn = false;

  constructor(
    private readonly out: Output,
    private readonly now: () => number = Date.now,
  ) {}

  started(progress: Progress): void {
    // Rate and ETA move even when no event arrives.
    this.timer = setInterval(() => this.draw(), 1000);
    this.timer.unref();
    this.update(progress);
  }

  item(event: FleetEvent, progress: Progress): void {
    if (event.type === 'item.failed') {
      this.clear();
      this.out.print(itemLine(event));
    }
    this.update(progress);
  }

  update(progress: Progress): void {
    this.progress = progress;
    this.meter.sample(this.now(), done(progress));
    this.draw();
  }

  resumed(progress: Progress): void {
    this.noteText = null;
    this.update(progress);
  }

  note(text: string | null): void {
    this.noteText = text;
    this.draw();
  }

  close(): void {
    if (this.drawn) {
      this.noteText = null;
      this.draw();
      this.out.write('\n');
      this.drawn = false;
    }
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private clear(): void {
    if (this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }

  private draw(): void {
    // Nothing before the first counts are known (a bar at 0/0 would be wrong).
    if (!this.timer) return;
    const line = renderBar(
      { progress: this.progress, rate: this.meter.rate(this.now()), note: this.noteText },
      Math.max(20, this.out.columns - 1),
      duration,
    );
    this.out.write(`\r\x1b[2K${line}`);
    this.drawn = true;
  }
}
