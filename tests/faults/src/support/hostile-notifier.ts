/**
 * Hostile input to the notifier: the stand every hostile-notifier-*.test.ts file runs on: a
 * notifier in this process and a well-behaved client watching one batch whose events are published
 * every 25 ms throughout. Each file throws one kind of malformed interaction at the notifier
 * (socket.io-client misuse, raw Socket.IO packets, raw WebSocket frames, long-polling and HTTP);
 * the notifier must never answer 5xx, never crash, and never drop or disturb the watcher. Each file
 * adds its row to the fault table.
 */
import type { FleetEvent } from '@fleet/contracts';
import type { RunningNotifier } from '@fleet/notifier';
import { createRedis, type FleetRedis, RedisBatchStore, RedisEventStream, waitReady } from '@fleet/redis';
import { deletePrefix, testPrefix, testRedisUrl, waitFor } from '@fleet/testing';
import type { Socket as ClientSocket } from 'socket.io-client';
import type WebSocket from 'ws';
import { KEYS } from './api.js';
import { type Answer, httpSend } from './http.js';
import { ask, type Client, connectClient, startTestNotifier } from './notifier.js';
import { recordRow } from './table.js';

/** The kinds of hostile input, one test file and one fault-table row each. */
export type Group =
  | 'socket.io-client misuse'
  | 'raw Socket.IO packets'
  | 'raw WebSocket frames'
  | 'long-polling and HTTP';

export interface HostileNotifier {
  /** The notifier's port (HTTP, polling and WebSocket). */
  readonly port: number;
  /** The batch the well-behaved client watches (another tenant's). */
  readonly watched: string;
  /** A batch of acme's (the hostile key's), with 110 more named `<acmeBatch>-<i>`. */
  readonly acmeBatch: string;
  /** Sockets to close after the file, whatever happened. */
  readonly opened: (ClientSocket | WebSocket)[];
  /** Counts `n` hostile interactions. */
  count(n?: number): void;
  /** Counts a server error (5xx) an interaction got. */
  serverError(): void;
  /** An HTTP request to the notifier, counted (and its 5xx counted). */
  http(shot: Parameters<typeof httpSend>[1]): Promise<Answer>;
  /** A hostile socket.io-client (no reconnection); rejects with the connect_error. */
  hostile(token?: unknown, transports?: ('websocket' | 'polling')[]): Promise<Client>;
  /** The notifier is healthy and the watcher has every event so far. */
  checkpoint(): Promise<void>;
  /**
   * Registers the file's last test: at least `minInteractions` sent, no 5xx and no crash, the
   * watcher connected and whole, and a new client still served.
   */
  itKeptTheWatcherWhole(minInteractions: number): void;
}

/**
 * Registers the file's beforeAll/afterAll (notifier, batches, watcher, publisher; teardown and the
 * fault-table row) and returns the stand, usable once beforeAll has run.
 */
export function hostileNotifier(group: Group): HostileNotifier {
  const prefix = testPrefix('faults-notifier');
  const watched = `watched-${Date.now().toString(36)}`;
  const acmeBatch = `acme-${Date.now().toString(36)}`;
  const published: string[] = [];
  const opened: (ClientSocket | WebSocket)[] = [];
  const tally = { interactions: 0, fiveXx: 0, crashes: 0 };
  let redis: FleetRedis;
  let notifier: RunningNotifier;
  let watcher: Client;
  let watcherDisconnects = 0;
  let publisher: NodeJS.Timeout | undefined;

  /** The well-behaved client has every event published so far, in order, once each. */
  const watcherIsWhole = async (): Promise<void> => {
    const upTo = published.length;
    await waitFor(
      `the watcher to get all ${upTo} events so far`,
      () => watcher.events(watched).length >= upTo,
      {
        timeoutMs: 5000,
      },
    );
    const ids = watcher.events(watched).map((e) => e.id!);
    expect(ids.slice(0, upTo)).toEqual(published.slice(0, upTo));
    expect(new Set(ids).size).toBe(ids.length);
    expect(watcher.socket.connected).toBe(true);
  };

  beforeAll(async () => {
    redis = createRedis(testRedisUrl(), { role: 'producer' });
    redis.on('error', () => {});
    await waitReady(redis);
    notifier = await startTestNotifier(prefix);
    const batches = new RedisBatchStore(redis, prefix);
    await batches.create({ id: watched, owner: 'other', pool: 'default', total: 10 });
    await batches.create({ id: acmeBatch, owner: 'acme', pool: 'default', total: 10 });
    for (let i = 0; i < 110; i++)
      await batches.create({ id: `${acmeBatch}-${i}`, owner: 'acme', pool: 'default', total: 1 });

    watcher = await connectClient(notifier.port, KEYS.other.key);
    watcher.socket.on('disconnect', () => watcherDisconnects++);
    expect(await ask(watcher.socket, 'subscribe', { batchId: watched })).toEqual({ ok: true });
    const events = new RedisEventStream(redis, prefix);
    let n = 0;
    let publishing = false;
    publisher = setInterval(() => {
      if (publishing) return;
      publishing = true;
      const event: Omit<FleetEvent, 'id'> = {
        type: 'item.completed',
        batchId: watched,
        itemId: `${watched}.${n % 10}`,
        at: Date.now(),
        data: { n: n++ },
      };
      events
        .publish(event)
        .then((id) => published.push(id!))
        .catch(() => {})
        .finally(() => {
          publishing = false;
        });
    }, 25);
    await waitFor('the first events to reach the watcher', () => watcher.events(watched).length >= 3);
  });

  afterAll(async () => {
    clearInterval(publisher);
    for (const s of opened) (s as { close(): void }).close();
    watcher?.socket.close();
    await notifier?.close();
    await deletePrefix(redis, prefix).catch(() => {});
    redis?.disconnect();
    recordRow({
      scenario: `hostile notifier: ${group}`,
      repetitions: tally.interactions,
      items: 0,
      fiveXx: tally.fiveXx,
      crashes: tally.crashes,
    });
  });

  const stand: HostileNotifier = {
    get port() {
      return notifier.port;
    },
    watched,
    acmeBatch,
    opened,
    count: (n = 1) => {
      tally.interactions += n;
    },
    serverError: () => {
      tally.fiveXx++;
    },
    http: async (shot) => {
      const answer = await httpSend(notifier.port, shot);
      tally.interactions++;
      if (answer.status !== null && answer.status >= 500) tally.fiveXx++;
      return answer;
    },
    hostile: async (token = KEYS.acme.key, transports = ['websocket']) => {
      const client = await connectClient(notifier.port, token, { transports });
      opened.push(client.socket);
      return client;
    },
    checkpoint: async () => {
      const health = await httpSend(notifier.port, { method: 'GET', path: '/health', timeoutMs: 5000 });
      if (health.status !== 200) tally.crashes++;
      await watcherIsWhole();
    },
    itKeptTheWatcherWhole: (minInteractions) => {
      it('kept the well-behaved client connected and whole throughout, and still serves a new one', async () => {
        expect(tally.interactions).toBeGreaterThanOrEqual(minInteractions);
        expect({ fiveXx: tally.fiveXx, crashes: tally.crashes }).toEqual({ fiveXx: 0, crashes: 0 });
        // Some files' input is over in well under a second: the watcher is judged on 20 events at least.
        await waitFor('more than 20 events published', () => published.length > 20);
        await watcherIsWhole();
        expect(watcherDisconnects).toBe(0);
        const fresh = await connectClient(notifier.port, KEYS.other.key);
        opened.push(fresh.socket);
        expect(await ask(fresh.socket, 'subscribe', { batchId: watched })).toEqual({ ok: true });
        const next = published.length;
        await waitFor('the new client to get a live event', () =>
          fresh.events(watched).some((e) => e.id === published[next]),
        );
      });
    },
  };

  return stand;
}
