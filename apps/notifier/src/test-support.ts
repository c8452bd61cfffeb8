import type { FleetEvent } from '@fleet/contracts';
import { createLogger } from '@fleet/logger';
import { createRedis, type FleetRedis, RedisBatchStore, RedisEventStream } from '@fleet/redis';
import { deletePrefix, TEST_KEYS, testPrefix, testRedisUrl } from '@fleet/testing';
import { type Socket as ClientSocket, io as connectSocket } from 'socket.io-client';
import type { NotifierSettings } from './config.js';
import { type RunningNotifier, startNotifier } from './notifier.js';
import type { Ack } from './protocol.js';

/** Test keys: one admin, two tenants (the shared set). */
export const KEYS = { ops: TEST_KEYS.ops, acme: TEST_KEYS.acme, other: TEST_KEYS.other };

export const silentLogger = () =>
  createLogger({ name: 'notifier-test', level: process.env.TEST_LOG ?? 'silent' });

export function testSettings(overrides: Partial<NotifierSettings> = {}): NotifierSettings {
  return {
    redisUrl: testRedisUrl(),
    prefix: testPrefix('notifier'),
    notifierPort: 0,
    apiKeys: Object.values(KEYS),
    corsOrigins: [],
    revocationCheckMs: 5000,
    ...overrides,
  };
}

/** What a test needs: notifiers on one prefix, a Redis client, the batch store and the event stream. */
export class Harness {
  readonly redis: FleetRedis;
  readonly batches: RedisBatchStore;
  readonly events: RedisEventStream;
  private readonly notifiers: RunningNotifier[] = [];
  private readonly clients: ClientSocket[] = [];
  private batchCount = 0;

  constructor(readonly settings: NotifierSettings = testSettings()) {
    this.redis = createRedis(settings.redisUrl, { role: 'worker' });
    this.redis.on('error', () => {});
    this.batches = new RedisBatchStore(this.redis, settings.prefix);
    this.events = new RedisEventStream(this.redis, settings.prefix);
  }

  async start(overrides: Partial<NotifierSettings> = {}): Promise<RunningNotifier> {
    const notifier = await startNotifier({ ...this.settings, ...overrides }, silentLogger(), {
      host: '127.0.0.1',
    });
    this.notifiers.push(notifier);
    return notifier;
  }

  /** A new batch owned by `owner` (null: no owner, as batches made without a key). */
  async batch(owner: string | null, total = 10): Promise<string> {
    const id = `b${++this.batchCount}-${Math.random().toString(36).slice(2, 8)}`;
    await this.batches.create({ id, owner, pool: 'default', total });
    return id;
  }

  /** Publish `n` item events of a batch; resolves their stream ids in order. */
  async publish(batchId: string, n = 1, type: FleetEvent['type'] = 'item.completed'): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = await this.events.publish({
        type,
        batchId,
        itemId: `${batchId}.${i}`,
        at: Date.now(),
        data: { n: i },
      });
      ids.push(id!);
    }
    return ids;
  }

  /** A connected client, or the connect_error as a rejection. */
  async connect(notifier: RunningNotifier, token: string | undefined, options: ClientOptions = {}) {
    const client = connectSocket(`http://127.0.0.1:${notifier.port}`, {
      auth: token === undefined ? {} : { token },
      transports: options.transports ?? ['websocket'],
      reconnection: false,
      forceNew: true,
      ...(options.extraHeaders ? { extraHeaders: options.extraHeaders } : {}),
    });
    this.clients.push(client);
    const log = new EventLog(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('connect_error', (err) => reject(err));
    });
    return { client, log };
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.disconnect();
    await Promise.all(this.notifiers.map((n) => n.close()));
    await deletePrefix(this.redis, this.settings.prefix).catch(() => {});
    this.redis.disconnect();
  }
}

export interface ClientOptions {
  transports?: ('websocket' | 'polling')[];
  extraHeaders?: Record<string, string>;
}

/** Every event a client receives, in order (attached before connecting, so nothing is missed). */
export class EventLog {
  readonly entries: { name: string; payload: Record<string, unknown> }[] = [];

  constructor(client: ClientSocket) {
    client.onAny((name: string, payload: Record<string, unknown>) => this.entries.push({ name, payload }));
  }

  /** Fleet events of one batch (or all fleet events), in arrival order. */
  events(batchId?: string): FleetEvent[] {
    return this.entries
      .filter((e) => typeof e.payload?.type === 'string' && e.name === e.payload.type)
      .map((e) => e.payload as unknown as FleetEvent)
      .filter((e) => batchId === undefined || e.batchId === batchId);
  }

  ids(batchId?: string): string[] {
    return this.events(batchId).map((e) => e.id!);
  }

  has(id: string): boolean {
    return this.entries.some((e) => e.payload?.id === id);
  }
}

/** Emit with an ack and wait for it (a deadline guards against a server that never answers). */
export function request(client: ClientSocket, event: string, payload: unknown, ms = 10_000): Promise<Ack> {
  return client.timeout(ms).emitWithAck(event, payload) as Promise<Ack>;
}

export { waitFor } from '@fleet/testing';
