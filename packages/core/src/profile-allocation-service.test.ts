/**
 * ProfileAllocationService's own rules over an in-memory store: input checks, tokens, the release
 * policy and taking back expired leases when a pool looks empty. The Redis store's atomicity is
 * tested against real Redis in packages/redis.
 */
import { InvalidArgumentError, LeaseLostError, UnknownPoolError } from './errors.js';
import type { ReclaimedLease } from './lease.js';
import { type AllocationOptions, ProfileAllocationService } from './profile-allocation-service.js';
import { MemoryProfileStore } from './testing/index.js';

const release = { cooldownMs: 0, failureThreshold: 2, quarantineMs: 60_000 };

function setup(options: Partial<AllocationOptions> = {}, ids = ['p1']) {
  const store = new MemoryProfileStore();
  for (const id of ids) store.add({ id, pool: 'default', tags: id === 'p2' ? ['eu'] : [] });
  const reclaimed: ReclaimedLease[][] = [];
  const service = new ProfileAllocationService(store, {
    leaseTtlMs: 60_000,
    release,
    onReclaimed: (leases) => void reclaimed.push(leases),
    ...options,
  });
  return { store, service, reclaimed };
}

afterEach(() => {
  jest.useRealTimers();
});

describe('ProfileAllocationService: options', () => {
  it.each([
    [{ leaseTtlMs: 0 }, 'lease TTL 0 is not valid'],
    [{ release: { ...release, cooldownMs: -1 } }, 'cooldownMs must be a whole number of ms, 0 or more'],
    [{ release: { ...release, failureThreshold: 0 } }, 'failureThreshold must be a whole number, 1 or more'],
    [{ release: { ...release, quarantineMs: 1.5 } }, 'quarantineMs must be a whole number of ms, 1 or more'],
  ])('refuses %j', (options, message) => {
    expect(() => setup(options)).toThrow(InvalidArgumentError);
    expect(() => setup(options)).toThrow(message);
  });
});

describe('ProfileAllocationService: acquire', () => {
  it('leases a free profile with a fresh token and the default TTL', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { service } = setup();
    const lease = await service.acquire({ pool: 'default' }, 'w1');
    expect(lease).toMatchObject({ profileId: 'p1', owner: 'w1', fence: 1, expiresAt: 1_060_000 });
    expect(lease?.token).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers null when every profile is leased, and honours tags', async () => {
    const { service } = setup({}, ['p1', 'p2']);
    expect((await service.acquire({ pool: 'default', tags: ['eu'] }, 'w1'))?.profileId).toBe('p2');
    expect(await service.acquire({ pool: 'default', tags: ['eu'] }, 'w1')).toBeNull();
    expect((await service.acquire({ pool: 'default' }, 'w1'))?.profileId).toBe('p1');
    expect(await service.acquire({ pool: 'default' }, 'w1')).toBeNull();
  });

  it('refuses a bad selector, owner or TTL', async () => {
    const { service } = setup();
    await expect(service.acquire({ pool: '' }, 'w1')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(service.acquire({ pool: 'default' }, '')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(service.acquire({ pool: 'default' }, 'w1', -5)).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('says an unknown pool is an error, not an empty pool', async () => {
    const { service } = setup();
    await expect(service.acquire({ pool: 'nowhere' }, 'w1')).rejects.toBeInstanceOf(UnknownPoolError);
  });

  it('takes back a dead holder’s expired lease when none is free, and tells onReclaimed', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { service, reclaimed } = setup();
    const dead = await service.acquire({ pool: 'default' }, 'dead', 1000);
    expect(await service.acquire({ pool: 'default' }, 'w1')).toBeNull();
    expect(reclaimed).toEqual([]);
    jest.setSystemTime(1_001_000);
    const lease = await service.acquire({ pool: 'default' }, 'w1');
    expect(lease?.fence).toBe(dead!.fence + 1);
    expect(reclaimed).toEqual([
      [{ profileId: 'p1', pool: 'default', owner: 'dead', fence: dead!.fence, expiredAt: 1_001_000 }],
    ]);
    await expect(service.renew(dead!)).rejects.toBeInstanceOf(LeaseLostError);
  });

  it('lets a reclaimed profile rest for reclaimDelayMs (time to stop the dead holder’s browser)', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { service } = setup({ reclaimDelayMs: 500 });
    await service.acquire({ pool: 'default' }, 'dead', 1000);
    jest.setSystemTime(1_001_000);
    expect(await service.acquire({ pool: 'default' }, 'w1')).toBeNull();
    jest.setSystemTime(1_001_500);
    expect((await service.acquire({ pool: 'default' }, 'w1'))?.profileId).toBe('p1');
  });
});

describe('ProfileAllocationService: renew and release', () => {
  it('renews to now + TTL, and refuses a lease after its release', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { service } = setup();
    const lease = (await service.acquire({ pool: 'default' }, 'w1'))!;
    jest.setSystemTime(1_030_000);
    expect((await service.renew(lease)).expiresAt).toBe(1_090_000);
    await service.release(lease, 'success');
    await expect(service.renew(lease)).rejects.toMatchObject({ code: 'LEASE_LOST', reason: 'not-holder' });
    await expect(service.release(lease, 'success')).rejects.toBeInstanceOf(LeaseLostError);
  });

  it('refuses an unknown outcome', async () => {
    const { service } = setup();
    const lease = (await service.acquire({ pool: 'default' }, 'w1'))!;
    expect(() => service.release(lease, 'maybe' as never)).toThrow(
      'release outcome must be success, failure or neutral, not maybe',
    );
  });

  it('quarantines after failureThreshold failures in a row; a success or a neutral release does not count', async () => {
    const { service } = setup();
    const use = async (outcome: 'success' | 'failure' | 'neutral') =>
      service.release((await service.acquire({ pool: 'default' }, 'w1'))!, outcome);

    expect(await use('failure')).toMatchObject({ quarantined: false });
    expect(await use('success')).toMatchObject({ quarantined: false }); // resets the streak
    expect(await use('failure')).toMatchObject({ quarantined: false });
    expect(await use('neutral')).toMatchObject({ quarantined: false }); // leaves it alone
    expect(await use('failure')).toMatchObject({ quarantined: true });
    expect((await service.profile('p1'))?.state).toBe('quarantined');
    expect(await service.acquire({ pool: 'default' }, 'w1')).toBeNull();
  });

  it('cools a released profile down for cooldownMs', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { service } = setup({ release: { ...release, cooldownMs: 2000 } });
    await service.release((await service.acquire({ pool: 'default' }, 'w1'))!, 'success');
    expect(await service.counts('default')).toMatchObject({ available: 0, coolingDown: 1 });
    expect(await service.acquire({ pool: 'default' }, 'w1')).toBeNull();
    jest.setSystemTime(1_002_000);
    expect(await service.acquire({ pool: 'default' }, 'w1')).not.toBeNull();
  });
});

describe('ProfileAllocationService: quarantine by hand', () => {
  it('revokes the lease, keeps the profile out until unquarantine, and trims a long reason', async () => {
    const { service } = setup();
    const lease = (await service.acquire({ pool: 'default' }, 'w1'))!;
    const profile = await service.quarantine('p1', 'x'.repeat(600));
    expect(profile.quarantine).toEqual({ until: null, reason: 'x'.repeat(500) });
    await expect(service.renew(lease)).rejects.toBeInstanceOf(LeaseLostError);
    expect(await service.acquire({ pool: 'default' }, 'w1')).toBeNull();
    expect((await service.unquarantine('p1')).state).toBe('available');
    expect(await service.acquire({ pool: 'default' }, 'w1')).not.toBeNull();
  });

  it('refuses a bad profile id or duration', async () => {
    const { service } = setup();
    expect(() => service.quarantine('p1', 'why', 0)).toThrow(InvalidArgumentError);
    expect(() => service.profile('')).toThrow(InvalidArgumentError);
    await expect(service.quarantine('nope', 'why')).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND' });
  });
});
