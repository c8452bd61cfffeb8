import type { FleetEvent } from '@fleet/contracts';
import { io, type Socket } from 'socket.io-client';
import { FleetApiError, FleetUnreachableError, printableUrl } from './errors.js';

/** Failed connection attempts before a watch that never connected gives up on the notifier. */
const CONNECT_ATTEMPTS = 5;
/** How long an unanswered `subscribe` is waited for before it is sent again. */
const ACK_TIMEOUT_MS = 10_000;
/** Wait before subscribing again after REDIS_UNAVAILABLE, or reconnecting after a server close. */
const RETRY_MS = 1000;

/** What the watch tells besides the batch's events: where the connection stands. */
export type WatchNotice =
  /** Subscribed (and any replay sent). `resumed`: not the first subscription of this watch. */
  | { type: 'watch.subscribed'; resumed: boolean }
  /** Events after `lastEventId` may be gone from the stream: read the batch from the API. */
  | { type: 'watch.truncated'; lastEventId: string | null; oldestId: string | null }
  | { type: 'watch.disconnected'; reason: string }
  /** A connection attempt failed; the client tries again by itself. */
  | { type: 'watch.reconnecting'; attempt: number }
  /** The notifier cannot reach Redis: the subscription is sent again shortly. */
  | { type: 'watch.retrying'; code: string };

/** One message of a watch: a Fleet event of the batch (typed by `type`), or a notice. */
export type WatchMessage = FleetEvent | WatchNotice;

export interface WatchOptions {
  /**
   * Where the events start: `'start'` (default) replays every event the stream still holds for the
   * batch, so a batch that already ended ends the watch at once; `'now'` only live ones; an event
   * id resumes after it (a watch of an earlier run).
   */
  from?: 'start' | 'now' | string;
  /** End the iteration after `batch.completed` / `batch.cancelled` (default true). */
  untilEnd?: boolean;
  signal?: AbortSignal;
}

type Ack = { ok: true } | { ok: false; error: { code: string; message: string; details?: unknown[] } };

/** Whether stream id `a` (`<ms>-<seq>`) comes after `b`. */
export function streamIdAfter(a: string, b: string | undefined): boolean {
  if (b === undefined) return true;
  const [am = 0n, as = 0n] = a.split('-').map((p) => BigInt(p));
  const [bm = 0n, bs = 0n] = b.split('-').map((p) => BigInt(p));
  return am > bm || (am === bm && as > bs);
}

const isEnd = (m: WatchMessage) => m.type === 'batch.completed' || m.type === 'batch.cancelled';

/**
 * One batch's events over Socket.IO (apps/notifier/README.md), as an async iterable. After a
 * reconnect it subscribes with the last event id it delivered, so the notifier replays what was
 * missed; ids are increasing, and one not after the last delivered is dropped, so the caller sees
 * each event once. Iterate it once; `close()` (or the signal, or leaving the loop) ends it.
 */
export class BatchWatch implements AsyncIterable<WatchMessage> {
  private socket: Socket | undefined;
  private readonly queue: WatchMessage[] = [];
  private wake: (() => void) | undefined;
  private failure: unknown;
  private over = false;
  private lastId: string | undefined;
  private subscriptions = 0;
  private everConnected = false;
  private failedConnects = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly notifierUrl: string,
    private readonly apiKey: string,
    readonly batchId: string,
    private readonly options: WatchOptions = {},
  ) {
    const from = options.from ?? 'start';
    if (from !== 'start' && from !== 'now') this.lastId = from;
  }

  /** The id of the last event delivered: give it as `from` to resume in another watch. */
  get lastEventId(): string | undefined {
    return this.lastId;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<WatchMessage> {
    if (this.socket) throw new Error('a BatchWatch is iterated once');
    const { signal } = this.options;
    const onAbort = () => this.fail(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) this.fail(signal.reason);
    else this.open();
    try {
      for (;;) {
        const next = this.queue.shift();
        if (next) {
          yield next;
          if (isEnd(next) && this.options.untilEnd !== false) return;
          continue;
        }
        if (this.failure !== undefined) throw this.failure;
        if (this.over) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.close();
    }
  }

  /** Ends the watch: the socket is closed and the iteration finishes. */
  close(): void {
    if (this.over) return;
    this.over = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.push();
  }

  private push(message?: WatchMessage): void {
    if (message && !this.over) this.queue.push(message);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private fail(error: unknown): void {
    if (this.over) return;
    this.failure = error;
    this.close();
  }

  private later(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.over) fn();
    }, ms);
    this.timers.add(timer);
  }

  private open(): void {
    const socket = io(this.notifierUrl, {
      auth: { token: this.apiKey },
      // WebSocket only: no long-polling handshake to keep sticky behind a balancer.
      transports: ['websocket'],
      forceNew: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 3000,
    });
    this.socket = socket;
    socket.on('connect', () => {
      this.everConnected = true;
      this.failedConnects = 0;
      void this.subscribe();
    });
    socket.on('connect_error', (error) => this.connectFailed(error));
    socket.on('disconnect', (reason) => {
      this.push({ type: 'watch.disconnected', reason });
      // The server closed it on purpose: socket.io-client does not reconnect by itself then.
      if (reason === 'io server disconnect') this.later(() => socket.connect(), RETRY_MS);
    });
    socket.on('auth.revoked', (notice: { code?: string; message?: string }) =>
      this.fail(
        new FleetApiError(notice.code ?? 'KEY_REVOKED', notice.message ?? 'the API key was revoked', 0),
      ),
    );
    socket.on('replay.truncated', (notice: { lastEventId?: string; oldestId?: string | null }) =>
      this.push({
        type: 'watch.truncated',
        lastEventId: notice.lastEventId ?? null,
        oldestId: notice.oldestId ?? null,
      }),
    );
    socket.onAny((name: string, event: FleetEvent) => {
      if (typeof event !== 'object' || event === null || event.type !== name) return;
      if (event.batchId !== this.batchId) return;
      if (event.id) {
        if (!streamIdAfter(event.id, this.lastId)) return; // seen already (a replay overlap)
        this.lastId = event.id;
      }
      this.push(event);
    });
  }

  private connectFailed(error: Error & { data?: { code?: string; message?: string } }): void {
    const code = error.data?.code;
    if (code === 'UNAUTHORIZED' || code === 'KEY_REVOKED') {
      this.fail(new FleetApiError(code, error.data?.message ?? 'refused', 0));
      return;
    }
    this.failedConnects++;
    if (this.everConnected || this.failedConnects < CONNECT_ATTEMPTS) {
      this.push({ type: 'watch.reconnecting', attempt: this.failedConnects });
      return;
    }
    this.fail(new FleetUnreachableError('notifier', printableUrl(this.notifierUrl), { cause: error }));
  }

  private async subscribe(): Promise<void> {
    const socket = this.socket!;
    const from = this.options.from ?? 'start';
    const lastEventId = this.lastId ?? (from === 'start' ? '0-0' : undefined);
    let ack: Ack;
    try {
      ack = (await socket
        .timeout(ACK_TIMEOUT_MS)
        .emitWithAck(
          'subscribe',
          lastEventId ? { batchId: this.batchId, lastEventId } : { batchId: this.batchId },
        )) as Ack;
    } catch {
      // No answer in time (or the connection went: the next `connect` subscribes again).
      if (!this.over && socket.connected) this.later(() => void this.subscribe(), RETRY_MS);
      return;
    }
    if (this.over) return;
    if (!ack.ok) {
      if (ack.error.code !== 'REDIS_UNAVAILABLE') {
        const details = (ack.error.details ?? []) as Record<string, unknown>[];
        this.fail(new FleetApiError(ack.error.code, ack.error.message, 0, details));
        return;
      }
      this.push({ type: 'watch.retrying', code: ack.error.code });
      this.later(() => void this.subscribe(), RETRY_MS);
      return;
    }
    this.push({ type: 'watch.subscribed', resumed: this.subscriptions++ > 0 });
  }
}
