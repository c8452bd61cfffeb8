import { deletePrefix, sleep, testPrefix, testRedisTarget } from '@fleet/testing';
import { createRedis } from './connection.js';
import { Keys } from './keys.js';
import { RedisSiteLimits } from './site-limits.js';

// Politeness per site (README "Sharing a fleet"), on the run's real redis-server (or Cluster: each
// site is its own slot, the listing another).
const prefix = testPrefix('sites');
const redis = createRedis(testRedisTarget(), { role: 'worker' });
const limits = (options: Partial<ConstructorParameters<typeof RedisSiteLimits>[2]> = {}) =>
  new RedisSiteLimits(redis, prefix, { holdMs: 30_000, fullWaitMs: 400, rulesRefreshMs: 0, ...options });
afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});
let n = 0;
const site = () => `shop${++n}.test`;

describe('site limits', () => {
  it('grants up to maxConcurrent at once, then says wait; a release frees a slot', async () => {
    const sites = limits();
    const host = site();
    const rule = { maxConcurrent: 3 };
    const grants = await Promise.all(['a', 'b', 'c', 'd'].map((h) => sites.acquire(host, h, rule)));
    expect(grants.map((g) => g?.granted)).toEqual([true, true, true, false]);
    expect(grants[3]).toEqual({ granted: false, waitMs: 400, reason: 'full' });
    expect(await sites.running(host)).toBe(3);
    await sites.release(host, 'b');
    expect(await sites.acquire(host, 'd', rule)).toEqual({ granted: true });
    // The same holder taken again (a retried job) is not counted twice.
    expect(await sites.acquire(host, 'd', rule)).toEqual({ granted: true });
    expect(await sites.running(host)).toBe(3);
  });

  it('spaces starts by minDelayMs, telling how long is left', async () => {
    const sites = limits();
    const host = site();
    const rule = { minDelayMs: 1000 };
    expect(await sites.acquire(host, 'a', rule)).toEqual({ granted: true });
    const refused = await sites.acquire(host, 'b', rule);
    expect(refused).toMatchObject({ granted: false, reason: 'spacing' });
    const waitMs = refused?.granted === false ? refused.waitMs : 0;
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(1000);
    await sleep(waitMs + 20);
    expect(await sites.acquire(host, 'b', rule)).toEqual({ granted: true });
  });

  it('takes back the slot of a holder that stopped renewing (its worker died), and renewing keeps it', async () => {
    const sites = limits({ holdMs: 250 });
    const host = site();
    const rule = { maxConcurrent: 1 };
    expect(await sites.acquire(host, 'dead', rule)).toEqual({ granted: true });
    expect(await sites.acquire(host, 'alive', rule)).toMatchObject({ granted: false, reason: 'full' });
    await sleep(300);
    expect(await sites.acquire(host, 'alive', rule)).toEqual({ granted: true });
    // A renewal moves the expiry from the Redis server's now (a long hold: no race with the sleep).
    await limits({ holdMs: 10_000 }).renew(host, 'alive');
    await sleep(300);
    expect(await sites.acquire(host, 'next', rule)).toMatchObject({ granted: false });
    // A lapsed holder is not brought back by a late renewal.
    await sites.renew(host, 'dead');
    expect(await sites.running(host)).toBe(1);
  });

  it("applies an admin's rule to items without one, the stricter of both to items with one", async () => {
    const sites = limits();
    const host = site();
    const other = site();
    // No rule anywhere: nothing to hold, no script run.
    expect(await sites.acquire(host, 'x', undefined)).toBeNull();
    expect(await sites.hasRules()).toBe(false);
    await sites.setRule(host, { maxConcurrent: 2, minDelayMs: 0 });
    expect(await sites.hasRules()).toBe(true);
    expect((await sites.rules()).find((r) => r.host === host)).toEqual({
      host,
      rule: { maxConcurrent: 2, minDelayMs: 0 },
      running: 0,
      waiting: 0,
    });
    expect(await sites.acquire(host, 'a', undefined)).toEqual({ granted: true });
    // The batch allows 5, the admin 2: 2 wins.
    expect(await sites.acquire(host, 'b', { maxConcurrent: 5 })).toEqual({ granted: true });
    expect(await sites.acquire(host, 'c', { maxConcurrent: 5 })).toMatchObject({ granted: false });
    // c was told to wait: it counts as waiting for the site until it starts.
    expect((await sites.rules()).find((r) => r.host === host)).toMatchObject({ running: 2, waiting: 1 });
    // The batch allows 1: 1 wins (two run already).
    await sites.release(host, 'b');
    expect(await sites.acquire(host, 'd', { maxConcurrent: 1 })).toMatchObject({ granted: false });
    expect(await sites.acquire(host, 'c', undefined)).toEqual({ granted: true }); // b's slot
    expect(await sites.waiting(host)).toBe(1); // d still waits, c started
    // The rule is the host's only.
    expect(await sites.acquire(other, 'a', undefined)).toBeNull();
    expect(await sites.deleteRule(host)).toBe(true);
    expect(await sites.deleteRule(host)).toBe(false);
    expect(await sites.hasRules()).toBe(false);
    expect(await sites.acquire(host, 'e', undefined)).toBeNull();
    expect(await redis.hgetall(new Keys(prefix).site(host).state)).not.toHaveProperty('adminMax');
  });

  it('lets a worker see a new admin rule after its refresh interval, without a read per item before', async () => {
    const cached = limits({ rulesRefreshMs: 200 });
    const admin = limits();
    const host = site();
    expect(await cached.acquire(host, 'a', undefined)).toBeNull(); // reads the (empty) listing
    await admin.setRule(host, { maxConcurrent: 1 });
    expect(await cached.acquire(host, 'a', undefined)).toBeNull(); // not yet seen
    await sleep(220);
    expect(await cached.acquire(host, 'a', undefined)).toEqual({ granted: true });
    expect(await cached.acquire(host, 'b', undefined)).toMatchObject({ granted: false });
  });

  it('pauses a site after a 429/503 for every worker, 1 s doubling, forgotten after a quiet while', async () => {
    const sites = limits();
    const host = site();
    const rule = { maxConcurrent: 5 };
    expect(await sites.acquire(host, 'a', rule)).toEqual({ granted: true });
    expect(await sites.slowDown(host)).toBe(1000);
    const paused = await sites.acquire(host, 'b', rule);
    expect(paused).toMatchObject({ granted: false, reason: 'backoff' });
    const pausedMs = paused?.granted === false ? paused.waitMs : 0;
    expect(pausedMs).toBeGreaterThan(0);
    expect(pausedMs).toBeLessThanOrEqual(1000);
    // Another worker's view is the same: the pause is the site's, in Redis.
    expect(await limits().acquire(host, 'c', rule)).toMatchObject({ granted: false, reason: 'backoff' });
    expect(await sites.slowDown(host)).toBe(2000);
    expect(await sites.slowDown(host)).toBe(4000);
    // Quiet for four pauses: forgotten, and the next 429 starts again from 1 s.
    const state = new Keys(prefix).site(host).state;
    await redis.hset(state, 'backoffMs', 100, 'backoffUntil', Date.now() - 500);
    expect(await sites.acquire(host, 'b', rule)).toEqual({ granted: true });
    expect(await redis.hget(state, 'backoffMs')).toBeNull();
    expect(await sites.slowDown(host)).toBe(1000);
  });

  it('never lets more than maxConcurrent hold at once under concurrent takes from many clients', async () => {
    const clients = Array.from({ length: 4 }, () => createRedis(testRedisTarget(), { role: 'worker' }));
    try {
      const host = site();
      const rule = { maxConcurrent: 3 };
      const each = clients.map((c) => new RedisSiteLimits(c, prefix, { holdMs: 30_000 }));
      let inside = 0;
      let most = 0;
      let done = 0;
      await Promise.all(
        each.flatMap((sites, w) =>
          Array.from({ length: 5 }, async (_, i) => {
            const holder = `w${w}.${i}`;
            for (;;) {
              const grant = await sites.acquire(host, holder, rule);
              if (grant?.granted) break;
              await sleep(5);
            }
            inside++;
            most = Math.max(most, inside);
            await sleep(10);
            inside--;
            await sites.release(host, holder);
            done++;
          }),
        ),
      );
      expect(done).toBe(20);
      expect(most).toBe(3);
    } finally {
      for (const c of clients) c.disconnect();
    }
  });
});
