import { deletePrefix, testPrefix, testRedisTarget } from '@fleet/testing';
import { createRedis } from './connection.js';
import { Keys } from './keys.js';
import { RedisStallLedger } from './stall-ledger.js';

const prefix = testPrefix('stalls');
const redis = createRedis(testRedisTarget(), { role: 'worker' });
const ledger = new RedisStallLedger(redis, prefix, 60);
afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

const item = { batchId: 'b1', index: 3 };

it('records the host of a take only when the job stalled right after it, each host once', async () => {
  expect((await ledger.noteTake(item, { attemptsStarted: 1, stalledCounter: 0, host: 'h1' })).hosts).toEqual(
    [],
  );
  // The first take ended normally (a retry, or put back for want of a profile): no stall.
  expect((await ledger.noteTake(item, { attemptsStarted: 2, stalledCounter: 0, host: 'h2' })).hosts).toEqual(
    [],
  );
  // Take 2 (on h2) vanished: the stall count went up before take 3.
  expect((await ledger.noteTake(item, { attemptsStarted: 3, stalledCounter: 1, host: 'h1' })).hosts).toEqual([
    'h2',
  ]);
  // Take 3 (on h1) vanished too.
  expect((await ledger.noteTake(item, { attemptsStarted: 4, stalledCounter: 2, host: 'h1' })).hosts).toEqual([
    'h2',
    'h1',
  ]);
  // Take 4 vanished on h1 again: the same host counts once.
  expect((await ledger.noteTake(item, { attemptsStarted: 5, stalledCounter: 3, host: 'h3' })).hosts).toEqual([
    'h2',
    'h1',
  ]);
  // Take 6 vanished before it could note itself: the stall is nobody's (take 5 ended normally).
  expect((await ledger.noteTake(item, { attemptsStarted: 7, stalledCounter: 4, host: 'h4' })).hosts).toEqual([
    'h2',
    'h1',
  ]);
  // Other items of the batch have their own record.
  expect(
    (await ledger.noteTake({ ...item, index: 4 }, { attemptsStarted: 2, stalledCounter: 1, host: 'h9' }))
      .hosts,
  ).toEqual([]);
  const key = new Keys(prefix).batch(item.batchId).stalls;
  expect(await redis.ttl(key)).toBeGreaterThan(0);
});

it("tells the take whether the item's batch is cancelled, in the same round trip", async () => {
  const ref = { batchId: 'b2', index: 0 };
  const meta = new Keys(prefix).batch(ref.batchId).meta;
  const take = (n: number) => ledger.noteTake(ref, { attemptsStarted: n, stalledCounter: 0, host: 'h1' });
  // No record (yet, or gone): not cancelled; the claim will say what is wrong.
  expect(await take(1)).toEqual({ hosts: [], cancelled: false });
  await redis.hset(meta, 'status', 'running');
  expect(await take(2)).toEqual({ hosts: [], cancelled: false });
  await redis.hset(meta, 'status', 'cancelled');
  expect(await take(3)).toEqual({ hosts: [], cancelled: true });
});
