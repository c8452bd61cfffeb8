/**
 * The reclaimer's stop of a dead holder's browser, over in-memory ports: tried again while the
 * profile's host cannot be reached, never once the profile has a new holder, given up on other
 * errors and at shutdown. The hosts suite (tests/hosts) runs it across real namespaces.
 */
import { NonRetryableError, ProviderUnreachableError } from './errors.js';
import type { ReclaimedLease } from './lease.js';
import type { Profile } from './profile.js';
import { ReclaimedBrowsers } from './reclaimed-browsers.js';
import { MemoryProfileStore, MemoryProvider } from './testing/index.js';

const HOST = 'http://10.231.0.13:45001';

async function setup() {
  const store = new MemoryProfileStore();
  store.add({ id: 'p1', pool: 'default', providerIds: { launcher: HOST } });
  const lease = await store.acquire({ pool: 'default' }, 'dead-worker', 't1', 60_000);
  const provider = new MemoryProvider();
  provider.running.add('p1');
  const reclaimed: ReclaimedLease = {
    profileId: 'p1',
    pool: 'default',
    owner: 'dead-worker',
    fence: lease!.fence,
    expiredAt: Date.now(),
  };
  return { store, provider, reclaimed, lease: lease! };
}

/** Makes the provider's stops fail with `error` the first `times` calls. */
function failStops(provider: MemoryProvider, times: number, error: Error) {
  const stop = provider.stop.bind(provider);
  let calls = 0;
  provider.stop = async (profile: Profile) => {
    calls++;
    if (calls <= times) throw error;
    await stop(profile);
  };
  return () => calls;
}

const unreachable = () => new ProviderUnreachableError(HOST, 'not reachable (cut off)');

it('stops the browser on the first try when the host answers', async () => {
  const { store, provider, reclaimed } = await setup();
  const browsers = new ReclaimedBrowsers({ profile: (id) => store.get(id), provider });
  await browsers.stop([reclaimed]);
  expect(provider.stopped).toEqual(['p1']);
  expect(provider.running.size).toBe(0);
});

it('tries again while the host is unreachable, and stops the browser once it answers', async () => {
  const { store, provider, reclaimed } = await setup();
  const calls = failStops(provider, 3, unreachable());
  const browsers = new ReclaimedBrowsers({ profile: (id) => store.get(id), provider, retryEveryMs: 5 });
  await browsers.stop([reclaimed]);
  expect(calls()).toBe(4);
  expect(provider.running.size).toBe(0);
  expect(browsers.waiting).toBe(0);
});

it('stops trying once the profile has a new holder (its start stops what is left)', async () => {
  const { store, provider, reclaimed, lease } = await setup();
  const calls = failStops(provider, 1000, unreachable());
  const browsers = new ReclaimedBrowsers({ profile: (id) => store.get(id), provider, retryEveryMs: 5 });
  const done = browsers.stop([reclaimed]);
  await new Promise((r) => setTimeout(r, 30));
  // The lease was taken back (here: released) and the profile leased by someone else: a new fence.
  await store.release(lease, 'neutral', { cooldownMs: 0, failureThreshold: 3, quarantineMs: 1000 });
  const next = await store.acquire({ pool: 'default' }, 'new-worker', 't2', 60_000);
  expect(next?.fence).toBeGreaterThan(reclaimed.fence);
  await done;
  const tried = calls();
  await new Promise((r) => setTimeout(r, 30));
  expect(calls()).toBe(tried);
  expect(provider.running.has('p1')).toBe(true);
});

it('gives up at once on another error, and at shutdown', async () => {
  const { store, provider, reclaimed } = await setup();
  const calls = failStops(provider, 1, new NonRetryableError('PROVIDER_REQUEST_FAILED', 'bad request'));
  const warned: string[] = [];
  const logger = {
    debug: () => {},
    info: () => {},
    warn: (_: object, msg: string) => void warned.push(msg),
    error: () => {},
  };
  await new ReclaimedBrowsers({ profile: (id) => store.get(id), provider, logger }).stop([reclaimed]);
  expect(calls()).toBe(1);
  expect(warned).toEqual(['could not stop a reclaimed profile']);

  const down = await setup();
  failStops(down.provider, 1000, unreachable());
  const browsers = new ReclaimedBrowsers({
    profile: (id) => down.store.get(id),
    provider: down.provider,
    retryEveryMs: 60_000,
  });
  const done = browsers.stop([down.reclaimed]);
  await new Promise((r) => setTimeout(r, 20));
  expect(browsers.waiting).toBe(1);
  browsers.close();
  await done;
  expect(browsers.waiting).toBe(0);
});
