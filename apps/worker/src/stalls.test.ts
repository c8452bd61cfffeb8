/**
 * kill -9 storms (issue 14, fault 6): a worker that vanishes under an item is not the item's fault.
 * A stall counts once per host (WORKER_HOST), and an item is failed ITEM_STALLED only when its
 * attempts vanished on ITEM_MAX_STALLS different hosts. Real BullMQ and redis-server; a worker
 * "dies" as a SIGKILLed process does: its job lock is no longer renewed and it writes nothing more
 * (its queue worker is force-closed and its Redis connection cut while its item is running).
 */
import {
  BatchService,
  type BrowserDriver,
  ItemRunner,
  ProfileAllocationService,
  ProfileSessions,
} from '@fleet/core';
import { GatedDriver, InstantDriver, MemoryProvider } from '@fleet/core/testing';
import { createLogger } from '@fleet/logger';
import { BullItemQueue, createItemsQueue, createItemsWorker } from '@fleet/queue';
import {
  createRedis,
  type FleetRedis,
  RedisBatchStore,
  RedisEventStream,
  RedisProfileStore,
  RedisResultStore,
  RedisStallLedger,
} from '@fleet/redis';
import { deletePrefix, testPrefix, testRedisUrl, waitFor } from '@fleet/testing';
import { createItemProcessor, recordIfAbandoned } from './item-processor.js';
import { stalledSafetyNet } from './worker.js';

const MAX_HOSTS = 3;
const logger = createLogger({ name: 'stalls-test', level: 'silent', pretty: false });
const prefix = testPrefix('stalls');
const redis = createRedis(testRedisUrl(), { role: 'worker', name: 'stalls-test' });
const queue = createItemsQueue(redis, prefix, { attempts: 3, backoffMs: 100 });
const results = new RedisResultStore(redis, prefix);
const events = new RedisEventStream(redis, prefix);
const connections: FleetRedis[] = [];
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const profiles = new RedisProfileStore(redis, prefix);
  // One profile per attempt: a dead worker's lease stays until it expires and is reclaimed.
  for (let i = 0; i < 8; i++) await profiles.register({ id: `p${i}`, pool: 'default' });
});

afterEach(async () => {
  // Survivors of a failed expectation must not take the next test's jobs.
  await Promise.all(stops.splice(0).map((stop) => stop().catch(() => {})));
});

afterAll(async () => {
  await queue.close();
  await deletePrefix(redis, prefix);
  for (const c of connections) c.disconnect();
  redis.disconnect();
});

/** A worker on `host` as worker.ts wires one, on its own connection, with short job locks. */
function startWorker(name: string, host: string, driver: BrowserDriver) {
  const connection = createRedis(testRedisUrl(), { role: 'worker', name });
  connection.on('error', () => {});
  connections.push(connection);
  const allocation = new ProfileAllocationService(new RedisProfileStore(connection, prefix), {
    leaseTtlMs: 3000,
    release: { cooldownMs: 0, failureThreshold: 3, quarantineMs: 1000 },
  });
  const sessions = new ProfileSessions(allocation, new MemoryProvider(), {
    owner: name,
    warmIdleMs: 0,
    renewEveryMs: 1000,
  });
  const runner = new ItemRunner({
    sessions,
    results: new RedisResultStore(connection, prefix),
    events: new RedisEventStream(connection, prefix),
    driver,
    logger,
  });
  const stalls = { ledger: new RedisStallLedger(connection, prefix, 600), host, maxHosts: MAX_HOSTS };
  const worker = createItemsWorker(createItemProcessor(runner, logger, { stalls }), {
    connection,
    prefix,
    concurrency: 1,
    lockDurationMs: 1000,
    stalledIntervalMs: 300,
    maxStalledCount: stalledSafetyNet(MAX_HOSTS),
  });
  worker.on('error', () => {});
  stops.push(async () => {
    await worker.close(true);
    await sessions.closeAll();
  });
  // As worker.ts: a job the queue itself fails (BullMQ's stall limit) gets its failed result.
  worker.on('failed', (job) => {
    if (job?.id) void recordIfAbandoned(queue, runner, job.id, logger);
  });
  return {
    worker,
    /** As kill -9: no more lock renewals, no more writes; the item's run is left hanging. */
    async kill() {
      await worker.close(true);
      connection.disconnect();
      await sessions.closeAll().catch(() => {}); // stops its renewal timer (writes go nowhere)
    },
  };
}

async function submit(batchId: string): Promise<string> {
  const service = new BatchService(new RedisBatchStore(redis, prefix), new BullItemQueue(queue));
  const batch = await service.submit({ batchId, pool: 'default', steps: [{ sleep: 0 }], items: [{}] });
  return batch.id;
}

/** The item's attempt starts driving on `host`, then its worker dies; the next worker's stall check puts it back. */
async function dieUnder(name: string, host: string): Promise<void> {
  const driver = new GatedDriver();
  const doomed = startWorker(name, host, driver);
  await driver.whenStarted();
  await doomed.kill();
  driver.fail(new Error('the process is gone')); // lets the orphaned run end (it can write nothing)
}

/** Waits until the item has a result (the worker running it records one). */
function resultOf(batchId: string) {
  return waitFor(
    `item 0 of ${batchId} recorded`,
    async () => (await results.get({ batchId, index: 0 })) ?? undefined,
    { timeoutMs: 60_000 },
  );
}

it('runs an item whose workers were killed under it three times on one host: not its fault', async () => {
  const batchId = await submit('one-host');
  for (const name of ['w1', 'w2', 'w3']) await dieUnder(name, 'host-a');
  const driver = new InstantDriver();
  startWorker('w4', 'host-a', driver);

  const result = await resultOf(batchId);
  expect(result).toMatchObject({ state: 'completed' });
  expect(driver.runs).toBe(1);
  // It did stall three times: more than BullMQ's old fixed limit (maxStalledCount 2) allowed.
  expect((await queue.getJob(`${batchId}.0`))?.stalledCounter).toBe(3);
  expect(await results.progress(batchId)).toMatchObject({ completed: 1, failed: 0, done: true });
});

it(`fails ITEM_STALLED an item whose attempts vanished on ${MAX_HOSTS} different hosts, and its batch completes`, async () => {
  const batchId = await submit('many-hosts');
  for (const n of [1, 2, 3]) await dieUnder(`v${n}`, `host-${n}`);
  const driver = new InstantDriver();
  startWorker('v4', 'host-4', driver);

  const result = await resultOf(batchId);
  expect(result).toMatchObject({
    state: 'failed',
    error: {
      code: 'ITEM_STALLED',
      message: 'its attempts vanished on 3 different hosts (host-1, host-2, host-3)',
    },
  });
  expect(driver.runs).toBe(0); // not run a fourth time
  expect(await results.progress(batchId)).toMatchObject({ completed: 0, failed: 1, done: true });
  const published = (await events.readAfter('-')).filter((e) => e.batchId === batchId).map((e) => e.type);
  expect(published).toEqual(expect.arrayContaining(['item.failed', 'batch.completed']));
});
