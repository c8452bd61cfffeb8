import type { ItemJob } from '@fleet/contracts';
import { createRedis, scanKeys } from '@fleet/redis';
import { deletePrefix, testPrefix, testRedisTarget } from '@fleet/testing';
import { createItemsQueue, createItemsWorker, enqueueItems, ITEMS_QUEUE } from './index.js';

const job = (batchId: string, index: number): ItemJob => ({
  batchId,
  index,
  selector: { pool: 'default' },
  steps: [{ goto: 'https://example.test' }],
  itemTimeoutMs: 1000,
  stepTimeoutMs: 1000,
});

describe('items queue', () => {
  const prefix = testPrefix('q');
  const producer = createRedis(testRedisTarget(), { role: 'producer' });
  const consumer = createRedis(testRedisTarget(), { role: 'worker' });
  const queue = createItemsQueue(producer, prefix, { attempts: 4 });
  afterAll(async () => {
    await queue.close();
    await deletePrefix(producer, prefix);
    producer.disconnect();
    consumer.disconnect();
  });

  it('adds items in chunks with job ids from batch + index, and never twice', async () => {
    const jobs = Array.from({ length: 7 }, (_, i) => job('b1', i));
    await enqueueItems(queue, jobs, {}, 3);
    await enqueueItems(queue, jobs, {}, 3); // a retried submit
    expect(await queue.count()).toBe(7);
    const first = await queue.getJob('b1.0');
    expect(first?.data.index).toBe(0);
    expect(first?.opts.attempts).toBe(4);
    expect(first?.opts.removeOnComplete).toEqual({ age: 3600, count: 1000 });
  });

  it('keeps every key of the queue in one hash slot under the prefix', async () => {
    // scanKeys: on a Cluster every master is scanned (KEYS would ask one node).
    const keys: string[] = [];
    for await (const batch of scanKeys(producer, `${prefix}:*`)) keys.push(...batch);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.startsWith(`${prefix}:${ITEMS_QUEUE}:`)).toBe(true);
  });

  it('hands jobs to the worker processor with an abort signal', async () => {
    const seen: string[] = [];
    const done = new Promise<void>((resolve) => {
      const worker = createItemsWorker(
        async (j, _token, signal) => {
          expect(signal).toBeInstanceOf(AbortSignal);
          seen.push(j.id!);
          if (seen.length === 7) setImmediate(() => worker.close().then(resolve));
          return null;
        },
        { connection: consumer, prefix, concurrency: 2 },
      );
    });
    await done;
    expect(seen.sort()).toEqual(['b1.0', 'b1.1', 'b1.2', 'b1.3', 'b1.4', 'b1.5', 'b1.6']);
  });
});
