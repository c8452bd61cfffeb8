/**
 * Several pools at once (issue 16): each pool's keys share its own hash tag (`{pool:<name>}`), so on
 * a Redis Cluster (FLEET_TEST_REDIS=cluster) the pools live in different slots, checked here with
 * CLUSTER KEYSLOT, and every lease, claim and record runs its Lua script on its own slot. A batch per
 * pool runs at once on shared workers: each item is leased from its own pool, recorded once, with
 * its events; every lease comes back when the workers stop.
 */
import type { Step } from '@fleet/contracts';
import { Keys } from '@fleet/redis';
import { testRedisMode } from '@fleet/testing';
import { Fleet } from './harness.js';

const POOLS = ['eu', 'us', 'asia'];
const PER_POOL = 2;
const ITEMS = 4;

let fleet: Fleet;
const poolOf = new Map<string, string>();
beforeAll(async () => {
  fleet = await Fleet.start({ profiles: 0 });
  const client = fleet.client();
  const [folder] = await client.listFolders();
  for (const pool of POOLS) {
    for (let i = 0; i < PER_POOL; i++) {
      const id = await client.createProfile({ name: `${pool}-${i}`, folderId: folder!.id });
      await fleet.profiles.register({ id, pool, providerIds: { folderId: folder!.id } });
      poolOf.set(id, pool);
    }
  }
});
afterAll(() => fleet?.close());

it('runs a batch per pool at once, each pool in its own slot on a Cluster', async () => {
  const keys = new Keys(fleet.prefix);
  if (testRedisMode() === 'cluster') {
    const slotOf = async (key: string) => Number(await fleet.redis.cluster('KEYSLOT', key));
    const slots = await Promise.all(POOLS.map((pool) => slotOf(keys.pool(pool).members)));
    expect(new Set(slots).size).toBe(POOLS.length);
    // Every key of one pool hashes to that pool's slot.
    const eu = keys.pool('eu');
    expect(new Set(await Promise.all([eu.available, eu.leases, eu.profile('x')].map(slotOf)))).toEqual(
      new Set([slots[0]]),
    );
  }
  const workers = [
    await fleet.startWorker({ workerConcurrency: 3 }),
    await fleet.startWorker({ workerConcurrency: 3 }),
  ];
  const site = fleet.site.url;
  const steps: Step[] = [
    { goto: `${site}/?item={{n}}` },
    { extract: { name: 'heading', selector: '#heading' } },
  ];
  const items = Array.from({ length: ITEMS }, (_, n) => ({ n }));
  const batches = await Promise.all(POOLS.map((pool) => fleet.submit(steps, items, { pool })));
  for (const [i, batchId] of batches.entries()) {
    const events = await fleet.waitForBatch(batchId);
    const completed = events.filter((e) => e.type === 'item.completed').map((e) => e.itemId);
    expect(completed.sort()).toEqual(items.map((_, n) => `${batchId}.${n}`).sort());
    for (const result of await fleet.resultsOf(batchId, ITEMS)) {
      expect(result).toMatchObject({ state: 'completed', data: { heading: 'Products' } });
      expect(poolOf.get(result!.profileId!)).toBe(POOLS[i]);
    }
    expect(await fleet.batches.get(batchId)).toMatchObject({ status: 'completed', completed: ITEMS });
  }
  // Warm browsers keep their leases while the workers run; a worker that stops gives them back.
  for (const worker of workers) await worker.close(5000);
  for (const pool of POOLS) {
    expect(await fleet.profiles.counts(pool)).toMatchObject({ registered: PER_POOL, leased: 0 });
  }
});
