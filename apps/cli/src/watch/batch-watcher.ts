import { type BatchWatch, FleetApiError, FleetUnreachableError, type WatchMessage } from '@fleet/client';
import type { BatchView, FleetEvent } from '@fleet/contracts';
import type { ApiClient } from '../api-client.js';
import { CliError, EXIT, printableUrl, unreachable } from '../cli-error.js';
import { mergeProgress, type Progress } from './progress.js';
import type { ProgressView } from './progress-view.js';

/** Besides the events, the batch is re-read this often: a safety net, not the way progress arrives. */
const POLL_MS = 15_000;
/** Wait before reading the batch again after an API that did not answer. */
const RETRY_MS = 1000;

const FINISHED = new Set(['completed', 'cancelled']);

export interface WatchOptions {
  batch: BatchView;
  api: ApiClient;
  view: ProgressView;
}

/** Why the batch is read from the API (see `refresh`). */
type ReadReason = 'subscribed' | 'resubscribed' | 'truncated' | 'poll';

/**
 * Follows one batch until it is completed or cancelled; resolves its final view from the API.
 *
 * Progress arrives as notifier events through `@fleet/client`'s watch (which resubscribes after a
 * reconnect with the last event id it delivered, and delivers each event once). After every
 * (re)subscription the batch is read once from the API, because it may have finished before the
 * subscription was acknowledged (or while the connection was down, before any event id was known
 * to replay from); `watch.truncated` (the stream no longer holds what was missed) is answered the
 * same way.
 */
export function watchBatch(options: WatchOptions): Promise<BatchView> {
  return new Promise((resolve, reject) => new BatchWatcher(options, resolve, reject).start());
}

class BatchWatcher {
  private readonly batchId: string;
  private readonly watch: BatchWatch;
  private progress: Progress;
  private connected = false;
  /** The view has been told the first counts. */
  private started = false;
  private over = false;
  /** A poll found the batch finished while connected: the next one ends the watch. */
  private pollSawFinished = false;
  /** The view shows "the API does not answer". */
  private apiNoted = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private poll: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: WatchOptions,
    private readonly resolve: (batch: BatchView) => void,
    private readonly reject: (error: CliError) => void,
  ) {
    this.batchId = options.batch.id;
    this.progress = mergeProgress({ total: 0, completed: 0, failed: 0 }, options.batch);
    // Live from now: the first counts come from the API read after the subscription.
    this.watch = options.api.fleet.watch(this.batchId, { from: 'now' });
  }

  start(): void {
    this.poll = setInterval(() => {
      if (this.started && !this.over) void this.refresh('poll');
    }, POLL_MS);
    void (async () => {
      try {
        for await (const message of this.watch) this.onMessage(message);
      } catch (error) {
        this.fail(this.watchError(error));
      }
    })();
  }

  private onMessage(message: WatchMessage): void {
    const { view } = this.options;
    switch (message.type) {
      case 'watch.subscribed':
        this.connected = true;
        view.note(null);
        void this.refresh(message.resumed ? 'resubscribed' : 'subscribed');
        return;
      case 'watch.truncated':
        void this.refresh('truncated');
        return;
      case 'watch.disconnected':
        this.connected = false;
        view.note('connection to the notifier lost: reconnecting');
        return;
      case 'watch.reconnecting':
        view.note(`reconnecting to the notifier at ${printableUrl(this.watchUrl())}`);
        return;
      case 'watch.retrying':
        view.note('the notifier cannot reach Redis: retrying');
        return;
      default:
        this.onEvent(message);
    }
  }

  private watchUrl(): string {
    return this.options.api.fleet.options.notifierUrl ?? '';
  }

  /** A watch failure → what the person reads. */
  private watchError(error: unknown): CliError {
    if (error instanceof FleetApiError) return new CliError([`${error.code}: ${error.message}`], EXIT.failed);
    if (error instanceof FleetUnreachableError) {
      const lost = unreachable('notifier', this.watchUrl());
      const hint = `  batch ${this.batchId} was submitted: watch it with \`pnpm fleet batches watch ${this.batchId}\``;
      return new CliError([...lost.lines, hint], lost.exitCode);
    }
    return this.options.api.cliError(error);
  }

  private later(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.over) fn();
    }, ms);
    this.timers.add(timer);
  }

  private stop(): void {
    this.over = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    clearInterval(this.poll);
    this.watch.close();
    this.options.view.close();
  }

  private fail(error: CliError): void {
    if (this.over) return;
    this.stop();
    this.reject(error);
  }

  private finish(final: BatchView): void {
    if (this.over) return;
    this.stop();
    this.resolve(final);
  }

  /**
   * The batch from the API: counts merged; a finished batch ends the watch. A poll that finds it
   * finished while the socket is connected waits one more round for `batch.completed` (which
   * follows the last result within moments), so the last item events are still shown.
   */
  private async refresh(why: ReadReason): Promise<void> {
    const { view } = this.options;
    let batch: BatchView;
    try {
      batch = await this.options.api.getBatch(this.batchId);
    } catch (error) {
      if (this.over) return;
      if (!(error instanceof CliError)) return this.fail(new CliError([String(error)], EXIT.failed));
      if (error.exitCode !== EXIT.unreachable) return this.fail(error);
      this.apiNoted = true;
      view.note('the API does not answer: retrying');
      // The poll comes round again by itself; the other reads must happen.
      if (why !== 'poll') this.later(() => void this.refresh(why), RETRY_MS);
      return;
    }
    if (this.over) return;
    if (this.apiNoted) {
      this.apiNoted = false;
      view.note(null);
    }
    this.progress = mergeProgress(this.progress, batch);
    if (FINISHED.has(batch.status)) {
      if (why === 'poll' && this.connected && !this.pollSawFinished) {
        this.pollSawFinished = true;
        return;
      }
      if (!this.started) view.started(this.progress);
      return this.finish(batch);
    }
    if (!this.started) view.started(this.progress);
    else if (why === 'resubscribed') view.resumed(this.progress);
    else view.update(this.progress);
    this.started = true;
  }

  private onEvent(event: FleetEvent): void {
    if (this.over) return;
    const data = event.data as { progress?: Partial<Progress> } & Partial<Progress>;
    const ends = event.type === 'batch.completed' || event.type === 'batch.cancelled';
    this.progress = mergeProgress(this.progress, ends ? data : data.progress);
    if (!ends) {
      if (this.started) this.options.view.item(event, this.progress);
      return;
    }
    // The API's view is the final word (counts, finishedAt); the event's counts stand in if it
    // cannot be read.
    const fallback = (batch: BatchView): BatchView => ({
      ...batch,
      ...this.progress,
      status: event.type === 'batch.cancelled' ? 'cancelled' : 'completed',
      finishedAt: new Date(event.at).toISOString(),
    });
    this.options.api.getBatch(this.batchId).then(
      (batch) => this.finish(FINISHED.has(batch.status) ? batch : fallback(batch)),
      () => this.finish(fallback(this.options.batch)),
    );
  }
}
