import type { ItemJob } from '@fleet/contracts';
import type { LoggerPort } from '@fleet/core';
import { createRedis, RedisFairShare, waitReady } from '@fleet/redis';
import { deletePrefix, sleep, testPrefix, testRedisTarget, waitFor } from '@fleet/testing';
import type { Worker } from 'bullmq';
import {
  createItemsQueue,
  createItemsWorker,
  FairDispatcher,
  FairItemQueue,
  fairQueueName,
  fairSlotOf,
  ITEMS_QUEUE,
} from './index.js';

// Fair share through real BullMQ on the run's redis-server (or Cluster): the API's FairItemQueue,
// a worker's FairDispatcher, a BullMQ Worker giving slots back as the real worker does.

const job = (batchId: string, index: number, owner: string): ItemJob => ({
  batchId,
  index,
  owner,
  selector: { pool: 'default' },
  steps: [{ goto: 'https://example.test' }],
  itemTimeoutMs: 1000,
  stepTimeoutMs: 1000,
});
const quiet: LoggerPort = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

async function fixture() {
  const prefix = testPrefix('fairq');
  const producer = createRedis(testRedisTarget(), { role: 'producer' });
  const consumer = createRedis(testRedisTarget(), { role: 'worker' });
  await waitReady(producer, 10_000);
  const queue = createItemsQueue(producer, prefix, { attempts: 2 });
  const jobsQueue = createItemsQueue(consumer, prefix);
  const fair = new RedisFairShare(consumer, prefix);
  const shares: Record<string, { weight: number; cap: number }> = {};
  const items = new FairItemQueue(
    queue,
    new RedisFairShare(producer, prefix),
    (t) => shares[t] ?? { weight: 1, cap: 0 },
  );
  const started: string[] = [];
  let running = 0;
  const peak: Record<string, number> = {};
  const now: Record<string, number> = {};
  const workers: Worker[] = [];
  const dispatchers: FairDispatcher[] = [];
  return {
    prefix,
    queue,
    fair,
    items,
    shares,
    started,
    peak,
    runningNow: () => running,
    /** A BullMQ worker whose items take `ms`; finished jobs give their slot back. */
    work(concurrency: number, ms: number) {
      const worker = createItemsWorker(
        async (j) => {
          const t = j.data.owner!;
          started.push(j.id!);
          now[t] = (now[t] ?? 0) + 1;
          peak[t] = Math.max(peak[t] ?? 0, now[t]!);
          running++;
          await sleep(ms);
          running--;
          now[t]!--;
          return null;
        },
        { connection: consumer, prefix, concurrency },
      );
      worker.on('completed', (j) => {
        const slot = fairSlotOf(j, ITEMS_QUEUE);
        if (slot) void fair.done([slot]);
      });
      workers.push(worker);
    },
    dispatch(options: Partial<ConstructorParameters<typeof FairDispatcher>[2]> = {}) {
      const d = new FairDispatcher(jobsQueue, fair, {
        owner: `d${dispatchers.length}`,
        logger: quiet,
        ...options,
      });
      dispatchers.push(d.start());
      return d;
    },
    async close() {
      await Promise.all(dispatchers.map((d) => d.stop()));
      await Promise.all(workers.map((w) => w.close()));
      await queue.close();
      await jobsQueue.close();
      await deletePrefix(producer, prefix);
      producer.disconnect();
      consumer.disconnect();
    },
  };
}

type Fixture = Awaited<ReturnType<typeof fixture>>;
const submit = (f: Fixture, owner: string, batch: string, n: number, priority?: number) =>
  f.items.enqueue(
    Array.from({ length: n }, (_, i) => job(batch, i, owner)),
    priority ? { priority } : {},
  );

describe('fair share through BullMQ', () => {
  let f: Fixture;
  afterEach(async () => f.close());

  it("a small tenant's items start soon after it submits, behind a big tenant's batch, and each item runs once", async () => {
    f = await fixture();
    expect(await submit(f, 'big', 'big', 60)).toBe(60);
    // Pending in Redis, not in BullMQ, until a dispatcher hands them over.
    expect(await f.queue.count()).toBe(0);
    f.work(3, 15);
    const ready = 6; // at most this many of big's wait ready in BullMQ when small comes
    f.dispatch({ minReady: 2, maxReady: ready, aheadSec: 0.05 });
    await waitFor('big under way', async () => f.started.length >= 10);
    await submit(f, 'small', 'small', 6);
    const at = f.started.length;
    await waitFor('every item done', async () => f.started.length >= 66, { timeoutMs: 20_000 });
    const firstSmall = f.started.findIndex((id) => id.startsWith('small.'));
    const lastSmall = f.started.map((id) => id.startsWith('small.')).lastIndexOf(true);
    // Behind at most what was ready in BullMQ and starting, then alternating with big: not after big.
    expect(firstSmall - at).toBeLessThanOrEqual(ready + 3 + 1);
    expect(lastSmall).toBeLessThan(at + ready + 3 + 1 + 2 * 6);
    expect(new Set(f.started).size).toBe(66);
    await waitFor('slots given back', async () =>
      (await f.fair.standings()).every((s) => s.running === 0 && s.waiting === 0),
    );
  });

  it('holds a tenant to its cap (maxRunning) while another uses the rest', async () => {
    f = await fixture();
    f.shares.capped = { weight: 1, cap: 2 };
    await submit(f, 'capped', 'c', 12);
    await submit(f, 'free', 'f', 12);
    f.work(6, 30);
    f.dispatch({ minReady: 2 });
    await waitFor('every item done', async () => f.started.length >= 24, { timeoutMs: 20_000 });
    expect(f.peak.capped).toBe(2);
    expect(f.peak.free).toBeGreaterThan(2);
  });

  it('a dispatcher that died after taking items: the next leader hands them to BullMQ, once', async () => {
    f = await fixture();
    await submit(f, 't', 'b', 5);
    // A dispatcher took 3 and died before BullMQ had them (taken 20 s ago by its clock).
    const taken = await f.fair.take(fairQueueName(ITEMS_QUEUE), 3, Date.now() - 20_000);
    expect(taken).toHaveLength(3);
    f.work(2, 5);
    f.dispatch({ strandedAfterMs: 10_000 });
    await waitFor('every item done', async () => f.started.length >= 5, { timeoutMs: 20_000 });
    await sleep(1500); // another stranded look: nothing is handed twice
    expect(f.started.sort()).toEqual(['b.0', 'b.1', 'b.2', 'b.3', 'b.4']);
  });

  it('gives back running slots whose job BullMQ no longer has (checked after a while)', async () => {
    f = await fixture();
    await submit(f, 't', 'gone', 3);
    // Handed a minute ago, then gone from BullMQ unseen by any worker (say, removed by hand).
    const taken = await f.fair.take(fairQueueName(ITEMS_QUEUE), 3, Date.now() - 60_000);
    await f.fair.handed(
      fairQueueName(ITEMS_QUEUE),
      taken.map((i) => i.id),
    );
    expect((await f.fair.standings())[0]).toMatchObject({ tenant: 't', running: 3 });
    f.dispatch({ reconcileEveryMs: 100 });
    await waitFor('the slots given back', async () => (await f.fair.standings())[0]!.running === 0);
  });

  it('a cancel drops pending items and removes those BullMQ holds, giving their slots back', async () => {
    f = await fixture();
    await submit(f, 't', 'b', 20);
    const d = f.dispatch({ minReady: 5, maxReady: 5 });
    await waitFor('some handed', async () => d.handedCount >= 5);
    await d.stop(); // nobody takes them: 5 wait in BullMQ, 15 pending
    expect(await f.items.removeQueued('b', 20)).toBe(20);
    expect(await f.queue.count()).toBe(0);
    expect(await f.fair.standings()).toEqual([{ tenant: 't', weight: 1, cap: 0, waiting: 0, running: 0 }]);
  });
});
