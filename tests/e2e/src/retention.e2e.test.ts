/**
 * The soak in small (`pnpm bench:soak` is the long one): with a retention of seconds, 2,000 no-op
 * items in 20 batches and 30 browser items leave nothing of theirs in Redis once their batches have
 * expired: no batch key, no event dedupe marker, only the key families a fleet keeps whatever it ran
 * (pools and profiles, the queue's own keys, the event stream, the batch indexes). A new key family
 * written per item or per batch without a TTL fails here.
 */
import { InstantDriver, MemoryProvider } from '@fleet/core/testing';
import { Keys } from '@fleet/redis';
import { keyFamilies } from '@fleet/testing';
import { Fleet, POOL, waitFor } from './harness.js';

const RETENTION_SEC = 2;

let fleet: Fleet;
beforeAll(async () => {
  fleet = await Fleet.start({ profiles: 2 });
});
afterAll(() => fleet?.close());

/** Every key under the fleet's prefix by family, the prefix left out (`{batch:*}:meta`). */
async function families(): Promise<Map<string, number>> {
  return keyFamilies(fleet.redis, fleet.prefix);
}

/** What a fleet keeps for good (bounded by profiles, pools and BullMQ's own trimming), by family pattern. */
const KEPT = [
  /^\{pool:\*\}:/, // pools and profiles
  /^pools$/,
  /^profile-pools$/,
  /^batches(:owner:.*)?$/, // the batch indexes (pruned at each create)
  /^\{items\}:/, // BullMQ: meta, events, completed/failed sets and their last jobs (removeOnComplete)
  /^\{events\}:stream$/,
  /^providers-down$/,
];

it('leaves no key of an expired batch, item or event behind', async () => {
  const noopPool = 'noop';
  for (let i = 0; i < 8; i++) await fleet.profiles.register({ id: `noop-${i}`, pool: noopPool });
  const noop = await fleet.startWorker(
    { workerConcurrency: 8, resultRetentionSec: RETENTION_SEC },
    { driver: new InstantDriver(), provider: new MemoryProvider() },
  );
  const noopBatches: string[] = [];
  for (let b = 0; b < 20; b++) {
    const items = Array.from({ length: 100 }, (_, i) => ({ i: b * 100 + i }));
    noopBatches.push(await fleet.submit([{ goto: `${fleet.site.url}/` }], items, { pool: noopPool }));
  }
  for (const id of noopBatches) await fleet.waitForBatch(id);
  await noop.close(1000);

  const browser = await fleet.startWorker({ workerConcurrency: 2, resultRetentionSec: RETENTION_SEC });
  const steps = [
    { goto: `${fleet.site.url}/` },
    { extract: { name: 'heading', selector: '#heading' } },
    { screenshot: { name: 'page' } },
  ];
  const browserBatch = await fleet.submit(
    steps,
    Array.from({ length: 30 }, (_, i) => ({ i })),
    { pool: POOL },
  );
  await fleet.waitForBatch(browserBatch);
  expect((await fleet.results.progress(browserBatch))?.failed).toBe(0);
  await browser.close(1000);

  const keys = new Keys(fleet.prefix);
  await waitFor(
    'the batches to expire',
    async () =>
      (await fleet.batches.get(browserBatch)) === null &&
      (await fleet.batches.get(noopBatches[19]!)) === null,
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  // Markers live as long as their batch: all gone once the last batch is.
  const left = await waitFor(
    'every key of the expired batches and their events to go',
    async () => {
      const found = await families();
      const stray = [...found.keys()].filter((family) => !KEPT.some((kept) => kept.test(family)));
      return stray.length === 0 ? found : false;
    },
    { timeoutMs: 15_000, intervalMs: 250 },
  ).catch(async () => families());
  const stray = [...left.entries()].filter(([family]) => !KEPT.some((kept) => kept.test(family)));
  expect(stray).toEqual([]);
  // BullMQ keeps at most its removeOnComplete count of finished jobs, whatever ran.
  expect(await fleet.queue.getCompletedCount()).toBeLessThanOrEqual(1000);
  expect(await fleet.redis.exists(keys.events.stream)).toBe(1);
}, 120_000);
