/**
 * Code scenarios in real Redis: checkpoints fenced by the item's claim (a stale attempt's write is
 * refused, a cancelled batch's too) and kept no longer than the batch; the scenario registry's
 * advertisements, heartbeats and TTL (a worker that stopped beating stops counting).
 */
import { deletePrefix, testPrefix, testRedisTarget } from '@fleet/testing';
import { RedisBatchStore } from './batch-store.js';
import { RedisCheckpointStore } from './checkpoint-store.js';
import { createRedis } from './connection.js';
import { Keys } from './keys.js';
import { RedisResultStore } from './result-store.js';
import { RedisScenarioRegistry } from './scenario-registry.js';
import { sleep } from './test-helpers.js';

const prefix = testPrefix('scen');
const redis = createRedis(testRedisTarget(), { role: 'worker' });
const batches = new RedisBatchStore(redis, prefix, { retentionSec: 60 });
const results = new RedisResultStore(redis, prefix, { retentionSec: 60 });
const checkpoints = new RedisCheckpointStore(redis, prefix, 3600);
afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

const later = () => Date.now() + 60_000;
const cp = (name: string, attempt = 1) => ({ name, value: { step: name }, at: Date.now(), attempt });

describe('checkpoints', () => {
  it('are written under the current claim only, and read back by the next attempt', async () => {
    await batches.create({ id: 'c1', pool: 'default', total: 1, scenario: 'shop@1' });
    expect((await batches.get('c1'))?.scenario).toBe('shop@1');
    const ref = { batchId: 'c1', index: 0 };
    expect(await checkpoints.get(ref)).toBeNull();
    expect(await checkpoints.save(ref, 7, cp('login'))).toBe('stale'); // no claim yet
    expect(await results.claim(ref, 7, later())).toBe('claimed');
    expect(await checkpoints.save(ref, 7, cp('login'))).toBe('saved');
    // Another attempt (fence 9) takes the item over: the first one's write is refused.
    expect(await results.claim(ref, 9, later())).toBe('claimed');
    expect(await checkpoints.save(ref, 7, cp('cart'))).toBe('stale');
    expect(await checkpoints.get(ref)).toMatchObject({ name: 'login', value: { step: 'login' }, attempt: 1 });
    expect(await checkpoints.save(ref, 9, cp('cart', 2))).toBe('saved');
    expect(await checkpoints.get(ref)).toMatchObject({ name: 'cart', attempt: 2 });
    const ttl = await redis.ttl(new Keys(prefix).batch('c1').checkpoints);
    expect(ttl).toBeGreaterThan(3500);
    // A deleted batch takes its checkpoints along.
    await batches.cancel('c1');
    expect(await batches.remove('c1')).toBe(true);
    expect(await checkpoints.get(ref)).toBeNull();
  });

  it('are refused under an expired claim and for a cancelled batch, and expire with the batch', async () => {
    await batches.create({ id: 'c2', pool: 'default', total: 2 });
    const ref = { batchId: 'c2', index: 1 };
    expect(await results.claim(ref, 3, Date.now() + 150)).toBe('claimed');
    expect(await checkpoints.save(ref, 3, cp('a'))).toBe('saved');
    await sleep(200);
    expect(await checkpoints.save(ref, 3, cp('b'))).toBe('stale');
    expect(await results.claim(ref, 4, later())).toBe('claimed');
    expect(await batches.cancel('c2')).toMatchObject({ status: 'cancelled' });
    expect(await checkpoints.save(ref, 4, cp('c'))).toBe('cancelled');
    expect(await checkpoints.save({ batchId: 'nope', index: 0 }, 4, cp('c')).catch((e) => e.code)).toBe(
      'BATCH_NOT_FOUND',
    );
    // A finished batch's record has its retention TTL (60 s here): checkpoints never outlive it.
    await batches.create({ id: 'c3', pool: 'default', total: 2 });
    const a = { batchId: 'c3', index: 0 };
    await results.claim(a, 5, later());
    await batches.cancel('c3').then(() => undefined);
    await redis.hset(new Keys(prefix).batch('c3').meta, 'status', 'running'); // as if finished, not cancelled
    expect(await checkpoints.save(a, 5, cp('x'))).toBe('saved');
    expect(await redis.ttl(new Keys(prefix).batch('c3').checkpoints)).toBeLessThanOrEqual(60);
  });
});

describe('scenario registry', () => {
  const registry = new RedisScenarioRegistry(redis, prefix, { ttlMs: 400 });
  const ad = (name: string, version: string) => ({
    name,
    version,
    inputSchema: { type: 'object', properties: { q: { type: 'string' } } },
  });

  it('lists what workers advertise, with live workers, and resolves the latest version', async () => {
    await registry.advertise('w1', [ad('shop', '1'), ad('shop', '2')]);
    await registry.advertise('w2', [ad('shop', '1')]);
    const list = await registry.list();
    expect(list.map((s) => [s.id, s.workers])).toEqual([
      ['shop@1', 2],
      ['shop@2', 1],
    ]);
    expect(list[0]?.inputSchema).toEqual(ad('shop', '1').inputSchema);
    expect((await registry.resolve('shop'))?.version).toBe('2');
    expect((await registry.resolve('shop', '1'))?.id).toBe('shop@1');
    expect(await registry.resolve('shop', '3')).toBeNull();
    expect(await registry.resolve('other')).toBeNull();
  });

  it('stops counting a worker whose heartbeat lapsed, and one that withdrew', async () => {
    await registry.withdraw('w2', ['shop@1']);
    expect((await registry.workersAlive(['shop@1'])).get('shop@1')).toBe(1);
    // w1 keeps beating shop@1 only; shop@2's last heartbeat lapses after the TTL.
    for (let i = 0; i < 3; i++) {
      await sleep(200);
      await registry.advertise('w1', [ad('shop', '1')]);
    }
    const alive = await registry.workersAlive(['shop@1', 'shop@2']);
    expect([alive.get('shop@1'), alive.get('shop@2')]).toEqual([1, 0]);
    // Still known (a batch for it waits), and "latest" now prefers the version with live workers.
    expect((await registry.list()).map((s) => s.id)).toEqual(['shop@1', 'shop@2']);
    expect((await registry.resolve('shop'))?.version).toBe('1');
  });
});
