import { fleetEventSchema } from '@fleet/contracts';
import { ABANDONED_FENCE, NO_FENCE } from '@fleet/core';
import { deletePrefix, testPrefix, testRedisTarget } from '@fleet/testing';
import { RedisBatchStore } from './batch-store.js';
import { createRedis } from './connection.js';
import { RedisEventStream } from './events-stream.js';
import { Keys } from './keys.js';
import { batchCompletedParts, PROGRESS, RedisResultStore, splitAtProgress } from './result-store.js';
import { itemResult, later, sleep } from './test-helpers.js';

const prefix = testPrefix('items');
const redis = createRedis(testRedisTarget(), { role: 'worker' });
const batches = new RedisBatchStore(redis, prefix);
const results = new RedisResultStore(redis, prefix, { retentionSec: 3600 });
const events = new RedisEventStream(redis, prefix, { maxLen: 1000, dedupeTtlSec: 60 });
afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

const result = itemResult;
let n = 0;
const newBatch = async (total: number) => batches.create({ id: `b${++n}`, pool: 'default', total });

describe('batch store', () => {
  it('creates a queued batch once and reads it back', async () => {
    const b = await batches.create({ id: 'solo', name: 'demo', owner: 'acme', pool: 'default', total: 3 });
    expect(b).toMatchObject({
      id: 'solo',
      name: 'demo',
      owner: 'acme',
      total: 3,
      completed: 0,
      status: 'queued',
    });
    await expect(batches.create({ id: 'solo', pool: 'default', total: 1 })).rejects.toThrow(/already exists/);
    await expect(batches.create({ id: 'empty', pool: 'default', total: 0 })).rejects.toThrow(
      /at least one item/,
    );
    expect(await batches.get('missing')).toBeNull();
  });

  it('drops index entries of expired batches as new batches are created, and keeps the live ones', async () => {
    const own = testPrefix('index');
    const store = new RedisBatchStore(redis, own);
    const keys = new Keys(own);
    const create = (id: string) => store.create({ id, owner: 'acme', pool: 'default', total: 1 });
    try {
      // Ids sort in creation order, so entries made within one millisecond sort the same way.
      await create('a-live');
      for (let i = 0; i < 6; i++) await create(`b-old${i}`);
      // Expired: the record is gone, the index entries stay (what retention leaves behind).
      for (let i = 0; i < 6; i++) await redis.del(keys.batch(`b-old${i}`).meta);
      // Each create looks at the 3 oldest entries (and 3 random ones): 3 creates reach all 6.
      for (let i = 0; i < 3; i++) await create(`c-new${i}`);
      const ids = async (index: string) =>
        (await redis.zrangebylex(index, '-', '+')).map((e) => e.split(':')[1]);
      const expected = ['a-live', 'c-new0', 'c-new1', 'c-new2'];
      expect(await ids(keys.batchIndex)).toEqual(expected);
      expect(await ids(keys.ownerBatchIndex('acme'))).toEqual(expected);
    } finally {
      await deletePrefix(redis, own);
    }
  });
});

describe('result store', () => {
  it('claims, records once, counts once, and completes the batch on the last item', async () => {
    const b = await newBatch(2);
    const a0 = { batchId: b.id, index: 0 };
    const a1 = { batchId: b.id, index: 1 };
    expect(await results.claim(a0, 5, later())).toBe('claimed');
    expect((await batches.get(b.id))?.status).toBe('running');
    expect(await results.record(a0, 5, result('completed', 'first'))).toMatchObject({
      status: 'recorded',
      batch: { total: 2, completed: 1, failed: 0, done: false },
    });
    // a second result for the same item is not counted and does not replace the first
    expect((await results.record(a0, 5, result('failed', 'second'))).status).toBe('duplicate');
    expect(await results.claim(a0, 9, later())).toBe('recorded');
    expect((await results.get(a0))?.data).toEqual({ note: 'first' });
    await results.claim(a1, 6, later());
    const last = await results.record(a1, 6, result('failed'));
    expect(last).toMatchObject({ status: 'recorded', batch: { completed: 1, failed: 1, done: true } });
    const done = await batches.get(b.id);
    expect(done?.status).toBe('completed');
    expect(done?.finishedAt).not.toBeNull();
    expect(await redis.ttl(new Keys(prefix).batch(b.id).results)).toBeGreaterThan(0);
  });

  it('refuses a write under a stale fence: a newer attempt claimed the item', async () => {
    const b = await newBatch(1);
    const ref = { batchId: b.id, index: 0 };
    expect(await results.claim(ref, 3, later())).toBe('claimed');
    expect(await results.claim(ref, 7, later())).toBe('claimed'); // the job moved to another worker
    expect(await results.extendClaim(ref, 3, later())).toBe('stale');
    expect((await results.record(ref, 3, result('completed'))).status).toBe('stale');
    expect(await results.get(ref)).toBeNull();
    expect((await results.record(ref, 7, result('completed'))).status).toBe('recorded');
  });

  it('lets the latest claim win even with a lower fence (a warm profile keeps an old lease)', async () => {
    const b = await newBatch(1);
    const ref = { batchId: b.id, index: 0 };
    expect(await results.claim(ref, 60, later())).toBe('claimed'); // paused past its lease
    expect(await results.claim(ref, 40, later())).toBe('claimed'); // the next attempt, on a warm lease
    expect((await results.record(ref, 60, result('completed', 'late'))).status).toBe('stale');
    expect((await results.record(ref, 40, result('completed', 'current'))).status).toBe('recorded');
    expect((await results.get(ref))?.data).toEqual({ note: 'current' });
  });

  it('refuses a claim under a lease that has already expired', async () => {
    const b = await newBatch(1);
    const ref = { batchId: b.id, index: 0 };
    expect(await results.claim(ref, 5, later())).toBe('claimed');
    expect(await results.claim(ref, 9, Date.now() - 1)).toBe('stale');
    expect((await results.record(ref, 5, result('completed'))).status).toBe('recorded');
  });

  it('records an item the queue abandoned whatever its claims say, once', async () => {
    const b = await newBatch(1);
    const ref = { batchId: b.id, index: 0 };
    await results.claim(ref, 5, later());
    expect((await results.record(ref, ABANDONED_FENCE, result('failed', 'abandoned'))).status).toBe(
      'recorded',
    );
    expect((await results.record(ref, 5, result('completed'))).status).toBe('duplicate');
    expect((await results.record(ref, ABANDONED_FENCE, result('failed'))).status).toBe('duplicate');
    expect(await results.progress(b.id)).toMatchObject({ failed: 1, completed: 0, done: true });
  });

  it('refuses a write after the claim (= the lease) expired, until it is extended', async () => {
    const b = await newBatch(1);
    const ref = { batchId: b.id, index: 0 };
    await results.claim(ref, 4, Date.now() + 30);
    await sleep(50);
    expect((await results.record(ref, 4, result('completed'))).status).toBe('stale');
    expect(await results.extendClaim(ref, 4, later())).toBe('extended');
    expect((await results.record(ref, 4, result('completed'))).status).toBe('recorded');
  });

  it('records without a lease only when no live claim exists', async () => {
    const b = await newBatch(2);
    expect((await results.record({ batchId: b.id, index: 0 }, NO_FENCE, result('failed'))).status).toBe(
      'recorded',
    );
    await results.claim({ batchId: b.id, index: 1 }, 2, later());
    expect((await results.record({ batchId: b.id, index: 1 }, NO_FENCE, result('failed'))).status).toBe(
      'stale',
    );
  });

  it('counts each item exactly once when many attempts race to record it', async () => {
    const b = await newBatch(1);
    const ref = { batchId: b.id, index: 0 };
    await results.claim(ref, 1, later());
    const outcomes = await Promise.all(
      Array.from({ length: 25 }, (_, i) => results.record(ref, 1, result('completed', `w${i}`))),
    );
    expect(outcomes.filter((o) => o.status === 'recorded')).toHaveLength(1);
    expect(await results.progress(b.id)).toEqual({ total: 1, completed: 1, failed: 0, done: true });
  });

  it('answers claims for cancelled and unknown batches', async () => {
    const b = await newBatch(1);
    await redis.hset(new Keys(prefix).batch(b.id).meta, 'status', 'cancelled');
    expect(await results.claim({ batchId: b.id, index: 0 }, 1, later())).toBe('cancelled');
    await expect(results.claim({ batchId: 'nope', index: 0 }, 1, later())).rejects.toMatchObject({
      code: 'BATCH_NOT_FOUND',
    });
  });
});

describe('result store: events published with the claim and the record', () => {
  // One Redis (and Sentinel): the scripts append the events themselves. A Cluster cannot (the
  // stream's slot is not the batch's): there the store says so and the caller publishes.
  const folded = results.publishesEvents;
  const eventsOf = async (batchId: string) =>
    (await events.readAfter('-', 100_000)).filter((e) => e.batchId === batchId);
  const started = (batchId: string, index: number) => ({
    type: 'item.started' as const,
    batchId,
    itemId: `${batchId}.${index}`,
    profileId: 'p1',
    at: 7,
    data: { attempt: 1, warm: true },
  });
  const done = (
    batchId: string,
    index: number,
    state: 'item.completed' | 'item.failed' = 'item.completed',
  ) => ({
    item: {
      type: state,
      batchId,
      itemId: `${batchId}.${index}`,
      profileId: 'p1',
      at: 8,
      data: { attempts: 1 },
    },
    itemDedupeKey: `${batchId}.${index}:done`,
    at: 9,
    batchDedupeKey: `${batchId}:completed`,
  });

  it('is on for one Redis, off on a Cluster', () => {
    expect(folded).toBe(process.env.FLEET_TEST_REDIS !== 'cluster');
  });

  it('appends item.started only when the claim is made', async () => {
    const b = await newBatch(2);
    const a0 = { batchId: b.id, index: 0 };
    expect(await results.claim(a0, 5, later(), started(b.id, 0))).toBe('claimed');
    await results.record(a0, 5, result('completed'));
    // Refused claims publish nothing: recorded already, lease expired, batch cancelled.
    expect(await results.claim(a0, 6, later(), started(b.id, 0))).toBe('recorded');
    expect(await results.claim({ batchId: b.id, index: 1 }, 6, Date.now() - 1, started(b.id, 1))).toBe(
      'stale',
    );
    await redis.hset(new Keys(prefix).batch(b.id).meta, 'status', 'cancelled');
    expect(await results.claim({ batchId: b.id, index: 1 }, 6, later(), started(b.id, 1))).toBe('cancelled');
    const seen = await eventsOf(b.id);
    if (!folded) return expect(seen).toEqual([]);
    expect(seen).toHaveLength(1);
    expect(fleetEventSchema.parse(seen[0])).toMatchObject(started(b.id, 0));
  });

  it("appends the item's event with the progress it counted, and batch.completed with the last result, once", async () => {
    const b = await newBatch(2);
    const a0 = { batchId: b.id, index: 0 };
    const a1 = { batchId: b.id, index: 1 };
    await results.claim(a0, 5, later());
    await results.claim(a1, 6, later());
    const first = await results.record(a0, 5, result('completed'), done(b.id, 0));
    expect(first).toMatchObject({ status: 'recorded', batch: { completed: 1, done: false } });
    expect(first.published).toBe(folded ? true : undefined);
    // Refused and duplicate writes publish nothing.
    expect((await results.record(a1, 5, result('failed'), done(b.id, 1, 'item.failed'))).status).toBe(
      'stale',
    );
    const duplicate = await results.record(a0, 5, result('completed'), done(b.id, 0));
    expect(duplicate).toMatchObject({ status: 'duplicate' });
    expect(duplicate.published).toBeUndefined();
    // An item event published before (a retry after a crash in between) is not published again.
    if (folded) await events.publish(done(b.id, 1, 'item.failed').item, `${b.id}.1:done`);
    const last = await results.record(a1, 6, result('failed'), done(b.id, 1, 'item.failed'));
    expect(last).toMatchObject({ status: 'recorded', batch: { completed: 1, failed: 1, done: true } });
    const seen = (await eventsOf(b.id)).map((e) => fleetEventSchema.parse(e));
    if (!folded) return expect(seen).toEqual([]);
    const progress = { total: 2, completed: 1, failed: 0 };
    expect(seen.map((e) => [e.type, e.itemId, e.data])).toEqual([
      ['item.completed', `${b.id}.0`, { attempts: 1, progress }],
      ['item.failed', `${b.id}.1`, { attempts: 1 }],
      ['batch.completed', undefined, { total: 2, completed: 1, failed: 1 }],
    ]);
    expect(seen[0]).toMatchObject({ profileId: 'p1', at: 8 });
    expect(seen[2]).toMatchObject({ at: 9 });
  });
});

describe('event stream', () => {
  it('appends events with their stream ids, in order', async () => {
    const before = await events.readAfter();
    const id1 = await events.publish({
      type: 'item.started',
      batchId: 'e1',
      itemId: 'e1.0',
      at: 1,
      data: {},
    });
    const id2 = await events.publish({
      type: 'item.completed',
      batchId: 'e1',
      itemId: 'e1.0',
      at: 2,
      data: {},
    });
    const after = await events.readAfter(before.at(-1)?.id ?? '-');
    expect(after.map((e) => [e.id, e.type])).toEqual([
      [id1, 'item.started'],
      [id2, 'item.completed'],
    ]);
  });

  it('publishes a deduplicated event once, however many publishers race', async () => {
    const ids = await Promise.all(
      Array.from({ length: 10 }, () =>
        events.publish({ type: 'batch.completed', batchId: 'e2', at: 3, data: {} }, 'e2:completed'),
      ),
    );
    expect(ids.filter((id) => id !== null)).toHaveLength(1);
    const all = await events.readAfter();
    expect(all.filter((e) => e.batchId === 'e2' && e.type === 'batch.completed')).toHaveLength(1);
  });
});

describe('batchCompletedParts', () => {
  it('is splitAtProgress of the batch.completed event, written out', () => {
    for (const [batchId, at] of [
      ['b1', 9],
      ['B_x-9', 1_765_000_000_123],
    ] as const) {
      const event = { type: 'batch.completed', batchId, at, data: PROGRESS };
      expect(batchCompletedParts(batchId, at)).toEqual(splitAtProgress(event));
    }
  });
});
