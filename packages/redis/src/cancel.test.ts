import type { ItemResult } from '@fleet/contracts';
import { NO_FENCE } from '@fleet/core';
import { deletePrefix, testPrefix, testRedisServers, testRedisTarget, waitFor } from '@fleet/testing';
import { RedisBatchStore } from './batch-store.js';
import { RedisCancelBus } from './cancel-bus.js';
import { createRedis } from './connection.js';
import { Keys } from './keys.js';
import { RedisResultStore } from './result-store.js';

const prefix = testPrefix('cancel');
const keys = new Keys(prefix);
const redis = createRedis(testRedisTarget(), { role: 'worker' });
const batches = new RedisBatchStore(redis, prefix, { retentionSec: 3600 });
const results = new RedisResultStore(redis, prefix, { retentionSec: 3600 });
afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

const result = (state: 'completed' | 'failed', note = ''): ItemResult => ({
  state,
  data: { note },
  artifacts: {},
  url: null,
  title: null,
  profileId: 'p1',
  attempts: 1,
  durationMs: 5,
  finishedAt: Date.now(),
});
const later = () => Date.now() + 60_000;
let n = 0;
const newBatch = (total: number) => batches.create({ id: `c${++n}`, pool: 'default', total });

describe('cancel-3', () => {
  it('answers unknown, cancelled, already-cancelled and finished', async () => {
    expect(await batches.cancel('no-such-batch')).toEqual({ status: 'unknown', batch: null });

    const b = await newBatch(2);
    const first = await batches.cancel(b.id);
    expect(first.status).toBe('cancelled');
    expect(first.batch).toMatchObject({ id: b.id, status: 'cancelled', finishedAt: expect.any(Number) });
    expect(await redis.ttl(keys.batch(b.id).meta)).toBeGreaterThan(0);
    const again = await batches.cancel(b.id);
    expect(again.status).toBe('already-cancelled');
    expect(again.batch?.finishedAt).toBe(first.batch?.finishedAt);

    const done = await newBatch(1);
    const ref = { batchId: done.id, index: 0 };
    await results.claim(ref, 1, later());
    await results.record(ref, 1, result('completed'));
    const finished = await batches.cancel(done.id);
    expect(finished.status).toBe('finished');
    expect(finished.batch?.status).toBe('completed');
  });
});

describe('a cancelled batch', () => {
  it('refuses claims, claim extensions and records; results recorded before stay', async () => {
    const b = await newBatch(3);
    const recorded = { batchId: b.id, index: 0 };
    const running = { batchId: b.id, index: 1 };
    const waiting = { batchId: b.id, index: 2 };
    await results.claim(recorded, 1, later());
    await results.record(recorded, 1, result('completed', 'before'));
    expect(await results.claim(running, 2, later())).toBe('claimed');
    expect(await results.isCancelled(b.id)).toBe(false);

    expect((await batches.cancel(b.id)).status).toBe('cancelled');
    expect(await results.isCancelled(b.id)).toBe(true);
    expect(await results.claim(waiting, 3, later())).toBe('cancelled');
    expect(await results.extendClaim(running, 2, later())).toBe('cancelled');
    expect((await results.record(running, 2, result('completed'))).status).toBe('cancelled');
    expect((await results.record(waiting, NO_FENCE, result('failed'))).status).toBe('cancelled');
    expect(await results.get(running)).toBeNull();
    expect(await results.get(waiting)).toBeNull();

    // The result recorded before the cancel stands, counted once; the batch stays cancelled.
    expect(await results.claim(recorded, 4, later())).toBe('recorded');
    expect((await results.record(recorded, 1, result('failed'))).status).toBe('duplicate');
    expect((await results.get(recorded))?.data).toEqual({ note: 'before' });
    expect(await results.progress(b.id)).toEqual({ total: 3, completed: 1, failed: 0, done: false });
    expect(await batches.get(b.id)).toMatchObject({ status: 'cancelled', completed: 1, failed: 0 });
  });

  it('still tells a stale claim from an extended one while not cancelled', async () => {
    const b = await newBatch(1);
    const ref = { batchId: b.id, index: 0 };
    await results.claim(ref, 5, later());
    await results.claim(ref, 6, later());
    expect(await results.extendClaim(ref, 5, later())).toBe('stale');
    expect(await results.extendClaim(ref, 6, later())).toBe('extended');
  });
});

/** The servers a subscriber may sit on: the one, or every node of a Cluster (replicas too). */
const servers = testRedisServers();
afterAll(() => {
  for (const server of servers) server.disconnect();
});

describe('RedisCancelBus', () => {
  const channel = keys.cancelChannel;
  const subscribers = async () => {
    let total = 0;
    for (const node of servers) {
      const [, count] = (await node.pubsub('NUMSUB', channel)) as [string, number];
      total += Number(count);
    }
    return total;
  };

  it('delivers each announcement to every listener, and stops after unsubscribe', async () => {
    const bus = new RedisCancelBus(redis, prefix);
    const a: string[] = [];
    const b: string[] = [];
    const stopA = await bus.listen((id) => a.push(id));
    const stopB = await bus.listen((id) => b.push(id));
    expect(await subscribers()).toBe(2);
    await bus.announce('batch-1');
    await waitFor('both listeners to hear batch-1', () => a.length === 1 && b.length === 1);
    expect([a, b]).toEqual([['batch-1'], ['batch-1']]);

    await stopA();
    await stopA(); // twice is harmless
    await waitFor('one subscriber left', async () => (await subscribers()) === 1);
    await bus.announce('batch-2');
    await waitFor('the remaining listener to hear batch-2', () => b.length === 2);
    expect(a).toEqual(['batch-1']);
    await stopB();
    expect(await subscribers()).toBe(0);
  });

  it('resubscribes after its connections are killed', async () => {
    // Listeners named after this file's prefix, so the kill spares other test files' subscribers.
    const named = createRedis(testRedisTarget(), { role: 'worker', name: `${prefix}-bus` });
    const bus = new RedisCancelBus(named, prefix);
    const a: string[] = [];
    const b: string[] = [];
    const stops = [await bus.listen((id) => a.push(id)), await bus.listen((id) => b.push(id))];
    try {
      /** The bus's subscriber connections, on whichever servers they sit. */
      const busClients = async () => {
        const found = [];
        for (const node of servers) {
          const list = (await node.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
          for (const line of list.split('\n')) {
            // A Cluster's subscriber is named `ioredis-cluster(subscriber):<name>`.
            const id = /^id=(\d+)/.exec(line)?.[1];
            if (id && line.includes(`${prefix}-bus:cancel `))
              found.push({ node, id, key: `${node.options.port}/${id}` });
          }
        }
        return found;
      };
      const killed = await busClients();
      expect(killed).toHaveLength(2);
      // The kill is done when it answers.
      for (const { node, id } of killed) await node.call('CLIENT', 'KILL', 'TYPE', 'pubsub', 'ID', id);
      // New connections (a Cluster's subscriber may reconnect to another node at once).
      const gone = new Set(killed.map((c) => c.key));
      await waitFor('both listeners to resubscribe on new connections', async () => {
        const now = await busClients();
        return now.length === 2 && now.every((c) => !gone.has(c.key)) && (await subscribers()) === 2;
      });
      await bus.announce('after-kill');
      await waitFor('both listeners to hear after-kill', () => a.length === 1 && b.length === 1);
      expect([a, b]).toEqual([['after-kill'], ['after-kill']]);
    } finally {
      for (const stop of stops) await stop();
      named.disconnect();
    }
  });

  it('listens from a fail-fast producer connection too', async () => {
    const producer = createRedis(testRedisTarget(), { role: 'producer' });
    try {
      const bus = new RedisCancelBus(producer, prefix);
      const heard: string[] = [];
      const stop = await bus.listen((id) => heard.push(id));
      await new RedisCancelBus(redis, prefix).announce('from-worker');
      await waitFor('the listener to hear from-worker', () => heard.length === 1);
      await stop();
    } finally {
      producer.disconnect();
    }
  });
});
