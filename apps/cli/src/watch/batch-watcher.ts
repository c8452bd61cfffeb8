import type { BatchView, FleetEvent } from '@fleet/contracts';
import { io, type Socket } from 'socket.io-client';
import type { ApiClient } from '../api-client.js';
import { CliError, EXIT, printableUrl, unreachable } from '../cli-error.js';
import { mergeProgress, type Progress } from './progress.js';
import type { ProgressView } from './progress-view.js';

/** Failed connection attempts before a watch that never connected gives up on the notifier. */
const CONNECT_ATTEMPTS = 5;
/** How long an unanswered `subscribe` is waited for before it is sent again. */
const ACK_TIMEOUT_MS = 10_000;
/** Besides the events, the batch is re-read this often: a safety net, not the way progress arrives. */
const POLL_MS = 15_000;
/** Wait before retrying after `REDIS_UNAVAILABLE` or an API that did not answer. */
const RETRY_MS = 1000;

const ITEM_EVENTS = ['item.started', 'item.completed', 'item.failed'] as const;
const END_EVENTS = ['batch.completed', 'batch.cancelled'] as const;
const FINISHED = new Set(['completed', 'cancelled']);

export interface WatchOptions {
  batch: BatchView;
  api: ApiClient;
  notifierUrl: string;
  apiKey: string;
  view: ProgressView;
}

type Ack = { ok: true } | { ok: false; error: { code: string; message: string } };
/** Why the batch is read from the API (see `refresh`). */
type ReadReason = 'subscribed' | 'resubscribed' | 'truncated' | 'poll';

/** Whether stream id `a` (`<ms>-<seq>`) comes after `b`. */
function streamIdAfter(a: string, b: string | undefined): boolean {
  if (b === undefined) return true;
  const [am = 0n, as = 0n] = a.split('-').map((p) => BigInt(p));
  const [bm = 0n, bs = 0n] = b.split('-').map((p) => BigInt(p));
  return am > bm || (am === bm && as > bs);
}

/**
 * Follows one batch until it is completed or cancelled; resolves its final view from the API.
 *
 * Progress arrives as notifier events. After every (re)subscription the batch is read once from
 * the API, because it may have finished before the subscription was acknowledged (or while the
 * connection was down, before any event id was known to replay from). A reconnect subscribes
 * with the last event id seen, so the notifier replays what was missed; `replay.truncated` (the
 * stream no longer holds it) is answered by reading the batch from the API.
 */
export function watchBatch(options: WatchOptions): Promise<BatchView> {
  return new Promise((resolve, reject) => new BatchWatcher(options, resolve, reject).start());
}

class BatchWatcher {
  private readonly batchId: string;
  private readonly socket: Socket;
  private progress: Progress;
  private lastEventId: string | undefined;
  private everConnected = false;
  private failedConnects = 0;
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
    this.socket = io(options.notifierUrl, {
      auth: { token: options.apiKey },
      // WebSocket only: no long-polling handshake to keep sticky behind a balancer.
      transports: ['websocket'],
      forceNew: true,
      autoConnect: false,
      reconnectionDelay: 500,
      reconnectionDelayMax: 3000,
    });
  }

  start(): void {
    const { socket } = this;
    socket.on('connect', () => {
      this.everConnected = true;
      this.failedConnects = 0;
      void this.subscribe();
    });
    socket.on('connect_error', (error) => this.connectFailed(error));
    socket.on('disconnect', (reason) => {
      if (this.over) return;
      this.options.view.note('connection to the notifier lost: reconnecting');
      // The server closed the socket on purpose (not for a revoked key: that comes with
      // `auth.revoked` first): the client does not reconnect by itself after this one.
      if (reason === 'io server disconnect') this.later(() => socket.connect(), RETRY_MS);
    });
    socket.on('auth.revoked', (notice: { code?: string; message?: string }) =>
      this.fail(
        new CliError(
          [`${notice.code ?? 'KEY_REVOKED'}: ${notice.message ?? 'the API key was revoked'}`],
          EXIT.failed,
        ),
      ),
    );
    socket.on('replay.truncated', () => void this.refresh('truncated'));
    for (const type of [...ITEM_EVENTS, ...END_EVENTS]) socket.on(type, (event) => this.onEvent(event));
    this.poll = setInterval(() => {
      if (this.started && !this.over) void this.refresh('poll');
    }, POLL_MS);
    socket.connect();
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
    this.socket.removeAllListeners();
    this.socket.disconnect();
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

  private connectFailed(error: Error & { data?: { code?: string; message?: string } }): void {
    const code = error.data?.code;
    if (code === 'UNAUTHORIZED' || code === 'KEY_REVOKED') {
      this.fail(new CliError([`${code}: ${error.data?.message ?? 'refused'}`], EXIT.failed));
      return;
    }
    this.failedConnects++;
    if (this.everConnected || this.failedConnects < CONNECT_ATTEMPTS) {
      this.options.view.note(`reconnecting to the notifier at ${printableUrl(this.options.notifierUrl)}`);
      return;
    }
    const lost = unreachable('notifier', this.options.notifierUrl);
    const hint = `  batch ${this.batchId} was submitted: watch it with \`pnpm fleet batches watch ${this.batchId}\``;
    this.fail(new CliError([...lost.lines, hint], lost.exitCode));
  }

  private async subscribe(): Promise<void> {
    const { batchId, lastEventId } = this;
    let ack: Ack;
    try {
      ack = (await this.socket
        .timeout(ACK_TIMEOUT_MS)
        .emitWithAck('subscribe', lastEventId ? { batchId, lastEventId } : { batchId })) as Ack;
    } catch {
      // No answer in time (or the connection went: the next `connect` subscribes again).
      if (!this.over && this.socket.connected) this.later(() => void this.subscribe(), RETRY_MS);
      return;
    }
    if (this.over) return;
    if (!ack.ok) {
      if (ack.error.code !== 'REDIS_UNAVAILABLE') {
        return this.fail(new CliError([`${ack.error.code}: ${ack.error.message}`], EXIT.failed));
      }
      this.options.view.note('the notifier cannot reach Redis: retrying');
      this.later(() => void this.subscribe(), RETRY_MS);
      return;
    }
    this.options.view.note(null);
    await this.refresh(this.started ? 'resubscribed' : 'subscribed');
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
      if (why === 'poll' && this.socket.connected && !this.pollSawFinished) {
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
    if (this.over || event.batchId !== this.batchId) return;
    if (event.id) {
      if (!streamIdAfter(event.id, this.lastEventId)) return;
      this.lastEventId = event.id;
    }
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
