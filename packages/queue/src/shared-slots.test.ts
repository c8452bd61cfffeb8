import type { ItemJob } from '@fleet/contracts';
import { createRedis } from '@fleet/redis';
import { deletePrefix, testPrefix, testRedisTarget, waitFor } from '@fleet/testing';
import {
  createItemsQueue,
  createItemsWorker,
  enqueueItems,
  ITEMS_QUEUE,
  SharedSlots,
  scenarioQueueName,
} from './index.js';

const job = (batchId: string, index: number): ItemJob => ({
  batchId,
  index,
  selector: { pool: 'default' },
  steps: [{ goto: 'https://example.test' }],
  itemTimeoutMs: 1000,
  stepTimeoutMs: 1000,
});

describe('SharedSlots', () => {
  const prefix = testPrefix('slots');
  const producer = createRedis(testRedisTarget(), { role: 'producer' });
  const consumer = createRedis(testRedisTarget(), { role: 'worker' });
  afterAll(async () => {
    await deletePrefix(producer, prefix);
    producer.disconnect();
    consumer.disconnect();
  });

  it("keeps a process's workers on several queues within one concurrency, and runs every job", async () => {
    const names = [ITEMS_QUEUE, scenarioQueueName('shop@1'), scenarioQueueName('blog@2')];
    const queues = names.map((name) => createItemsQueue(producer, prefix, {}, name));
    const slots = new SharedSlots(2);
    let running = 0;
    let most = 0;
    const done: string[] = [];
    const workers = names.map((queueName) => {
      const gated = slots.gate(async (j) => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 60));
        running--;
        done.push(`${queueName} ${j.id}`);
        return null;
      });
      const worker = createItemsWorker(gated.processor, {
        connection: consumer,
        prefix,
        concurrency: 2,
        queueName,
      });
      gated.attach(worker);
      return worker;
    });
    try {
      for (const [i, queue] of queues.entries()) {
        await enqueueItems(
          queue,
          Array.from({ length: 4 }, (_, k) => job(`b${i}`, k)),
        );
      }
      await waitFor('every job', () => done.length === 12 || undefined, { timeoutMs: 30_000 });
      expect(most).toBeLessThanOrEqual(2);
      expect(new Set(done).size).toBe(12);
      expect(slots.free).toBe(2);
      // Put-back jobs spent no attempt.
      const finished = await Promise.all(queues.map((q) => q.getJobs(['completed'])));
      expect(finished.flat().every((j) => j.attemptsMade <= 1)).toBe(true);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(queues.map((q) => q.close()));
    }
  });
});
