import {
  InvalidArgumentError,
  type Lease,
  LeaseLostError,
  ProfileExistsError,
  ProfileLeasedError,
  ProfileNotFoundError,
  UnknownPoolError,
} from '@fleet/core';
import { POLICY, poolFixture, sleep } from './test-helpers.js';

let fx: ReturnType<typeof poolFixture>;
beforeEach(() => {
  fx = poolFixture();
});
afterEach(() => fx.close());

async function registerMany(pool: string, ids: string[], tags: Record<string, string[]> = {}) {
  for (const id of ids) await fx.store.register({ id, pool, tags: tags[id] ?? [] });
}

describe('register / update / unregister', () => {
  it('registers a profile as available with its fields', async () => {
    const p = await fx.store.register({
      id: 'p1',
      pool: 'default',
      tags: ['us', 'mobile'],
      providerIds: { folderId: 'f1' },
      proxy: { type: 'http', host: 'proxy.local', port: 8080, username: 'u' },
    });
    expect(p).toMatchObject({
      id: 'p1',
      pool: 'default',
      tags: ['mobile', 'us'],
      providerIds: { folderId: 'f1' },
      proxy: { type: 'http', host: 'proxy.local', port: 8080, username: 'u' },
      state: 'available',
      fence: 0,
      lease: null,
    });
    expect(await fx.store.pools()).toEqual(['default']);
  });

  it('refuses a second registration of the same id, in any pool', async () => {
    await fx.store.register({ id: 'p1', pool: 'a' });
    await expect(fx.store.register({ id: 'p1', pool: 'a' })).rejects.toBeInstanceOf(ProfileExistsError);
    await expect(fx.store.register({ id: 'p1', pool: 'b' })).rejects.toThrow(
      /already registered \(in pool "a"\)/,
    );
  });

  it('updates tags of an available profile so tag selection follows at once', async () => {
    await registerMany('default', ['p1'], { p1: ['old'] });
    await fx.store.update('p1', { tags: ['new'], proxy: null, providerIds: { folderId: 'f2' } });
    expect(await fx.service.acquire({ pool: 'default', tags: ['old'] }, 'w')).toBeNull();
    const lease = await fx.service.acquire({ pool: 'default', tags: ['new'] }, 'w');
    expect(lease?.profileId).toBe('p1');
    expect((await fx.store.get('p1'))?.providerIds).toEqual({ folderId: 'f2' });
  });

  it('refuses to unregister a leased profile unless forced, and a forced one kills the lease', async () => {
    await registerMany('default', ['p1']);
    const lease = (await fx.service.acquire({ pool: 'default' }, 'w'))!;
    await expect(fx.store.unregister('p1')).rejects.toBeInstanceOf(ProfileLeasedError);
    await fx.store.unregister('p1', { force: true });
    expect(await fx.store.get('p1')).toBeNull();
    await expect(fx.service.renew(lease)).rejects.toBeInstanceOf(LeaseLostError);
    await expect(fx.service.release(lease, 'success')).rejects.toBeInstanceOf(LeaseLostError);
    await expect(fx.service.acquire({ pool: 'default' }, 'w')).rejects.toBeInstanceOf(UnknownPoolError);
  });

  it('keeps fences rising for a profile registered again', async () => {
    await registerMany('default', ['p1']);
    const first = (await fx.service.acquire({ pool: 'default' }, 'w'))!;
    await fx.store.unregister('p1', { force: true });
    await registerMany('default', ['p1']);
    const second = (await fx.service.acquire({ pool: 'default' }, 'w'))!;
    expect(second.fence).toBeGreaterThan(first.fence);
  });

  it('answers not found for unknown profiles', async () => {
    expect(await fx.store.get('nope')).toBeNull();
    await expect(fx.store.update('nope', { tags: [] })).rejects.toBeInstanceOf(ProfileNotFoundError);
    await expect(fx.store.unregister('nope')).rejects.toBeInstanceOf(ProfileNotFoundError);
    await expect(fx.service.quarantine('nope', 'x')).rejects.toBeInstanceOf(ProfileNotFoundError);
  });

  it('lists a pool, by state and in pages', async () => {
    await registerMany('default', ['a', 'b', 'c', 'd', 'e']);
    await fx.service.acquire({ pool: 'default' }, 'w');
    const leased = await fx.store.list('default', { state: 'leased' });
    expect(leased.profiles.map((p) => p.state)).toEqual(['leased']);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await fx.store.list('default', { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.profiles.map((p) => p.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});

describe('acquire', () => {
  it('hands out the least recently used profile first', async () => {
    await registerMany('default', ['a', 'b', 'c']);
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      const lease = (await fx.service.acquire({ pool: 'default' }, 'w'))!;
      order.push(lease.profileId);
      await fx.service.release(lease, 'success');
      await sleep(3); // distinct release times
    }
    // Each released profile goes to the back: the next round repeats the same order.
    for (const expected of order) {
      const lease = (await fx.service.acquire({ pool: 'default' }, 'w'))!;
      expect(lease.profileId).toBe(expected);
      await fx.service.release(lease, 'success');
      await sleep(3);
    }
  });

  it('prefers never-used profiles over used ones', async () => {
    await registerMany('default', ['a']);
    const lease = (await fx.service.acquire({ pool: 'default' }, 'w'))!;
    await fx.service.release(lease, 'success');
    await registerMany('default', ['b']);
    expect((await fx.service.acquire({ pool: 'default' }, 'w'))?.profileId).toBe('b');
  });

  it('returns null (not an error) when every profile is leased', async () => {
    await registerMany('default', ['a']);
    expect(await fx.service.acquire({ pool: 'default' }, 'w')).not.toBeNull();
    expect(await fx.service.acquire({ pool: 'default' }, 'w')).toBeNull();
  });

  it('waits out the cooldown after a release', async () => {
    const cooled = poolFixture({ release: { ...POLICY, cooldownMs: 300 } });
    try {
      await cooled.store.register({ id: 'a', pool: 'default' });
      const lease = (await cooled.service.acquire({ pool: 'default' }, 'w'))!;
      await cooled.service.release(lease, 'success');
      expect(await cooled.service.acquire({ pool: 'default' }, 'w')).toBeNull();
      expect(await cooled.store.counts('default')).toMatchObject({ available: 0, coolingDown: 1 });
      await sleep(350);
      expect((await cooled.service.acquire({ pool: 'default' }, 'w'))?.profileId).toBe('a');
    } finally {
      await cooled.close();
    }
  });

  it('selects by tags: every tag must match', async () => {
    await registerMany('default', ['a', 'b', 'c'], { a: ['us'], b: ['us', 'mobile'], c: ['mobile'] });
    const lease = await fx.service.acquire({ pool: 'default', tags: ['mobile', 'us'] }, 'w');
    expect(lease?.profileId).toBe('b');
    expect(await fx.service.acquire({ pool: 'default', tags: ['mobile', 'us'] }, 'w')).toBeNull();
    expect(await fx.service.acquire({ pool: 'default', tags: ['de'] }, 'w')).toBeNull();
    expect((await fx.service.acquire({ pool: 'default', tags: ['us'] }, 'w'))?.profileId).toBe('a');
  });

  it('keeps pools apart', async () => {
    await registerMany('red', ['r1']);
    await registerMany('blue', ['b1']);
    expect((await fx.service.acquire({ pool: 'red' }, 'w'))?.profileId).toBe('r1');
    expect(await fx.service.acquire({ pool: 'red' }, 'w')).toBeNull();
    expect((await fx.service.acquire({ pool: 'blue' }, 'w'))?.profileId).toBe('b1');
  });

  it('grants leases with fences that only rise', async () => {
    await registerMany('default', ['a']);
    let last = 0;
    for (let i = 0; i < 5; i++) {
      const lease = (await fx.service.acquire({ pool: 'default' }, 'w'))!;
      expect(lease.fence).toBeGreaterThan(last);
      expect(lease.expiresAt - lease.grantedAt).toBe(30_000);
      last = lease.fence;
      await fx.service.release(lease, 'success');
    }
  });

  it('rejects bad input with clear errors', async () => {
    await expect(fx.service.acquire({ pool: 'ghost' }, 'w')).rejects.toThrow(
      /pool "ghost" has no registered profiles/,
    );
    await expect(fx.service.acquire({ pool: '' }, 'w')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(fx.service.acquire({} as never, 'w')).rejects.toThrow(/pool name is required/);
    await expect(fx.service.acquire(null as never, 'w')).rejects.toThrow(/selector is required/);
    await expect(fx.service.acquire({ pool: 'default' }, 'w', -5)).rejects.toThrow(
      /lease TTL -5 is not valid/,
    );
    await expect(fx.service.acquire({ pool: 'a{b}' }, 'w')).rejects.toThrow(/not valid/);
    await expect(fx.service.acquire({ pool: 'default', tags: ['ok', 'bad tag'] }, 'w')).rejects.toMatchObject(
      {
        code: 'INVALID_ARGUMENT',
        details: [{ field: 'selector.tags[1]' }],
      },
    );
    await expect(fx.store.register({ id: 'x y', pool: 'default' })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });
});

describe('renew / release', () => {
  let lease: Lease;
  beforeEach(async () => {
    await registerMany('default', ['a']);
    lease = (await fx.service.acquire({ pool: 'default' }, 'w'))!;
  });

  it('renews for the holder, moving the expiry', async () => {
    await sleep(5);
    const renewed = await fx.service.renew(lease, 60_000);
    expect(renewed.expiresAt).toBeGreaterThan(lease.expiresAt);
    expect((await fx.store.get('a'))?.lease?.expiresAt).toBe(renewed.expiresAt);
  });

  it('refuses a wrong token for renew and release', async () => {
    const forged = { ...lease, token: 'not-the-token' };
    await expect(fx.service.renew(forged)).rejects.toMatchObject({
      code: 'LEASE_LOST',
      reason: 'not-holder',
    });
    await expect(fx.service.release(forged, 'success')).rejects.toBeInstanceOf(LeaseLostError);
    expect((await fx.store.get('a'))?.state).toBe('leased');
  });

  it('refuses renew and release of an expired lease', async () => {
    const short = (await fx.service.renew(lease, 20))!;
    await sleep(40);
    await expect(fx.service.renew(short)).rejects.toMatchObject({ reason: 'expired' });
    await expect(fx.service.release(short, 'success')).rejects.toMatchObject({ reason: 'expired' });
  });

  it('refuses a second release of the same lease', async () => {
    await fx.service.release(lease, 'success');
    await expect(fx.service.release(lease, 'success')).rejects.toBeInstanceOf(LeaseLostError);
  });

  it('counts outcomes in the stats', async () => {
    await fx.service.release(lease, 'failure');
    const again = (await fx.service.acquire({ pool: 'default' }, 'w'))!;
    await fx.service.release(again, 'success');
    expect((await fx.store.get('a'))?.stats).toMatchObject({
      leases: 2,
      successes: 1,
      failures: 1,
      failStreak: 0,
    });
  });
});

describe('quarantine', () => {
  it('quarantines after N consecutive failures and returns the profile when the time is up', async () => {
    const q = poolFixture({ release: { cooldownMs: 0, failureThreshold: 2, quarantineMs: 300 } });
    try {
      await q.store.register({ id: 'a', pool: 'default' });
      const l1 = (await q.service.acquire({ pool: 'default' }, 'w'))!;
      expect((await q.service.release(l1, 'failure')).quarantined).toBe(false);
      const l2 = (await q.service.acquire({ pool: 'default' }, 'w'))!;
      expect((await q.service.release(l2, 'failure')).quarantined).toBe(true);
      const p = await q.store.get('a');
      expect(p?.state).toBe('quarantined');
      expect(p?.quarantine?.reason).toMatch(/failed 2 times/);
      expect(await q.service.acquire({ pool: 'default' }, 'w')).toBeNull();
      await sleep(350);
      const back = await q.service.acquire({ pool: 'default' }, 'w');
      expect(back?.profileId).toBe('a');
      expect((await q.store.get('a'))?.stats.failStreak).toBe(0);
    } finally {
      await q.close();
    }
  });

  it('a success between failures resets the streak', async () => {
    const q = poolFixture({ release: { cooldownMs: 0, failureThreshold: 2, quarantineMs: 60_000 } });
    try {
      await q.store.register({ id: 'a', pool: 'default' });
      for (const outcome of ['failure', 'success', 'failure'] as const) {
        const l = (await q.service.acquire({ pool: 'default' }, 'w'))!;
        expect((await q.service.release(l, outcome)).quarantined).toBe(false);
      }
    } finally {
      await q.close();
    }
  });

  it('quarantines by hand (revoking a lease) until released by hand', async () => {
    await registerMany('default', ['a', 'b']);
    const lease = (await fx.service.acquire({ pool: 'default' }, 'w'))!;
    const p = await fx.service.quarantine(lease.profileId, 'captcha wall');
    expect(p.quarantine).toEqual({ until: null, reason: 'captcha wall' });
    await expect(fx.service.renew(lease)).rejects.toBeInstanceOf(LeaseLostError);
    expect(await fx.service.counts('default')).toMatchObject({
      registered: 2,
      quarantined: 1,
      leased: 0,
      available: 1,
    });
    await fx.service.unquarantine(lease.profileId);
    expect(await fx.service.counts('default')).toMatchObject({ quarantined: 0, available: 2 });
    await expect(fx.service.unquarantine(lease.profileId)).rejects.toMatchObject({
      code: 'PROFILE_NOT_QUARANTINED',
    });
  });
});

describe('reclaim', () => {
  it('takes back expired leases, reports them, and the old token stays dead', async () => {
    const reclaimed: string[] = [];
    const r = poolFixture({
      onReclaimed: (ls) => reclaimed.push(...ls.map((l) => `${l.profileId}@${l.owner}`)),
    });
    try {
      await r.store.register({ id: 'a', pool: 'default' });
      const dead = (await r.service.acquire({ pool: 'default' }, 'worker-1', 30))!;
      await sleep(50);
      // acquire finds nothing free, reclaims the expired lease, and gets the profile
      const fresh = (await r.service.acquire({ pool: 'default' }, 'worker-2'))!;
      expect(fresh.profileId).toBe('a');
      expect(fresh.fence).toBeGreaterThan(dead.fence);
      expect(reclaimed).toEqual(['a@worker-1']);
      await expect(r.service.renew(dead)).rejects.toBeInstanceOf(LeaseLostError);
      await expect(r.service.release(dead, 'success')).rejects.toBeInstanceOf(LeaseLostError);
      await r.service.release(fresh, 'success');
    } finally {
      await r.close();
    }
  });

  it('lets a reclaimed profile rest before anyone leases it again (time to stop its browser)', async () => {
    const r = poolFixture({ reclaimDelayMs: 200 });
    try {
      await r.store.register({ id: 'a', pool: 'default' });
      await r.service.acquire({ pool: 'default' }, 'dead', 20);
      await sleep(40);
      expect(await r.service.acquire({ pool: 'default' }, 'w')).toBeNull(); // reclaimed, but resting
      expect(await r.store.counts('default')).toMatchObject({ coolingDown: 1, leased: 0 });
      await sleep(220);
      expect((await r.service.acquire({ pool: 'default' }, 'w'))?.profileId).toBe('a');
    } finally {
      await r.close();
    }
  });

  it('reclaims only expired leases', async () => {
    await registerMany('default', ['a', 'b']);
    await fx.service.acquire({ pool: 'default' }, 'w', 20);
    await fx.service.acquire({ pool: 'default' }, 'w', 60_000);
    await sleep(40);
    const reclaimed = await fx.service.reclaimExpired('default');
    expect(reclaimed).toHaveLength(1);
    expect(await fx.service.counts('default')).toMatchObject({ leased: 1, available: 1 });
  });
});
