import { RedisProviderHealth } from '@fleet/redis';
import { ACME_KEY, auth, json, OPS_KEY, useTestApi } from './test-app.js';

type PoolList = {
  pools: {
    pool: string;
    registered: number;
    available: number;
    coolingDown: number;
    leased: number;
    quarantined: number;
  }[];
  providersDown?: { provider: string; since: string; lastSeenAt: string; error: string }[];
};

describe('GET /v1/pools', () => {
  const t = useTestApi();

  it('needs a key: 401 without one or with a wrong one', async () => {
    for (const headers of [{}, auth('not-a-key-not-a-key')]) {
      const res = await t.app.inject({ url: '/v1/pools', headers });
      expect(res.statusCode).toBe(401);
      expect(json(res)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    }
  });

  it('answers an empty list before any profile is registered', async () => {
    const res = await t.app.inject({ url: '/v1/pools', headers: auth(OPS_KEY) });
    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({ pools: [], providersDown: [], sites: [] });
  });

  it('counts each pool by state, for admin and user keys alike (counts only)', async () => {
    for (let i = 1; i <= 9; i++) await t.profiles.register({ id: `d${i}`, pool: 'default' });
    await t.profiles.register({ id: 'e1', pool: 'eu', tags: ['eu'] });
    // 3 quarantined, 2 leased, 1 cooling down (released with a long cooldown), 3 available.
    for (const id of ['d7', 'd8', 'd9']) await t.profiles.quarantine(id, 'test', null);
    const leases = [];
    for (let i = 0; i < 3; i++) {
      const lease = await t.profiles.acquire({ pool: 'default' }, 'test-owner', `token-${i}`, 60_000);
      expect(lease).not.toBeNull();
      leases.push(lease!);
    }
    await t.profiles.release(leases[0]!, 'success', {
      cooldownMs: 600_000,
      failureThreshold: 3,
      quarantineMs: 60_000,
    });

    for (const key of [OPS_KEY, ACME_KEY]) {
      const res = await t.app.inject({ url: '/v1/pools', headers: auth(key) });
      expect(res.statusCode).toBe(200);
      expect(json<PoolList>(res).pools).toEqual([
        { pool: 'default', registered: 9, available: 3, coolingDown: 1, leased: 2, quarantined: 3 },
        { pool: 'eu', registered: 1, available: 1, coolingDown: 0, leased: 0, quarantined: 0 },
      ]);
    }
  });

  it('shows admins the launcher hosts workers cannot reach; user keys get counts only', async () => {
    const health = new RedisProviderHealth(t.redis, t.prefix);
    const since = Date.now() - 30_000;
    await health.markDown('http://10.231.0.13:45001', 'ECONNREFUSED', 'w1', since);
    await health.markDown('http://10.231.0.13:45001', 'no connection within the connect timeout', 'w2');
    const admin = json<PoolList>(await t.app.inject({ url: '/v1/pools', headers: auth(OPS_KEY) }));
    expect(admin.providersDown).toEqual([
      {
        provider: 'http://10.231.0.13:45001',
        since: new Date(since).toISOString(),
        lastSeenAt: expect.any(String),
        error: 'no connection within the connect timeout',
      },
    ]);
    const user = json<PoolList>(await t.app.inject({ url: '/v1/pools', headers: auth(ACME_KEY) }));
    expect(user).not.toHaveProperty('providersDown');
    await health.markUp('http://10.231.0.13:45001');
    const healed = json<PoolList>(await t.app.inject({ url: '/v1/pools', headers: auth(OPS_KEY) }));
    expect(healed.providersDown).toEqual([]);
  });
});
