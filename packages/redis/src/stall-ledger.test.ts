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
  expect(await ledger.noteTake(item, { attemptsStarted: 1, stalledCounter: 0, host: 'h1' })).toEqual([]);
  // The first take ended normally (a retry, or put back for want of a profile): no stall.
  expect(await ledger.noteTake(item, { attemptsStarted: 2, stalledCounter: 0, host: 'h2' })).toEqual([]);
  // Take 2 (on h2) vanished: the stall count went up before take 3.
  expect(await ledger.noteTake(item, { attemptsStarted: 3, stalledCounter: 1, host: 'h1' })).toEqual(['h2']);
  // Take 3 (on h1) vanished too.
  expect(await ledger.noteTake(item, { attemptsStarted: 4, stalledCounter: 2, host: 'h1' })).toEqual([
    'h2',
    'h1',
  ]);
  // Take 4 vanished on h1 again: the same host counts once.
  expect(await ledger.noteTake(item, { attemptsStarted: 5, stalledCounter: 3, host: 'h3' })).toEqual([
    'h2',
    'h1',
  ]);
  // Take 6 vanished before it could note itself: the stall is nobody's (take 5 ended normally).
  expect(await ledger.noteTake(item, { attemptsStarted: 7, stalledCounter: 4, host: 'h4' })).toEqual([
    'h2',
    'h1',
  ]);
  // Other items of the batch have their own record.
  expect(
    await ledger.noteTake({ ...item, index: 4 }, { attemptsStarted: 2, stalledCounter: 1, host: 'h9' }),
  ).toEqual([]);
  const key = new Keys(prefix).batch(item.batchId).stalls;
  expect(await redis.ttl(key)).toBeGreaterThan(0);
});
