/**
 * RunningItems: a cancel aborts each running item of the batch with a BatchCancelledError. In the
 * worker the item's signal is BullMQ's own signal for its job (no controller per item, issue 17),
 * aborted through `Worker.cancelJob`: checked here against a real BullMQ worker and redis-server.
 */
import { BatchCancelledError, isFleetError } from '@fleet/core';
import { createItemsQueue, createItemsWorker } from '@fleet/queue';
import { createRedis } from '@fleet/redis';
import { deletePrefix, testPrefix, testRedisTarget, waitFor } from '@fleet/testing';
import { RunningItems } from './running-items.js';

describe('RunningItems without a queue hook', () => {
  it('gives each item a signal that follows the queue signal and fires on its batch cancel', () => {
    const running = new RunningItems();
    const queueA = new AbortController();
    const a = running.add('b1', 'b1.0', queueA.signal);
    const b = running.add('b1', 'b1.1');
    const c = running.add('b2', 'b2.0');
    queueA.abort('shutdown');
    expect(a.signal.reason).toBe('shutdown');
    expect(running.cancelBatch('b1').sort()).toEqual(['b1.0', 'b1.1']);
    expect(b.signal.reason).toBeInstanceOf(BatchCancelledError);
    expect(c.signal.aborted).toBe(false);
    a.done();
    b.done();
    expect(running.cancelBatch('b1')).toEqual([]);
    expect(running.cancelBatch('b2')).toEqual(['b2.0']);
  });
});

describe('RunningItems with a queue hook', () => {
  it('hands out the queue signal itself and aborts running jobs through the hook', () => {
    const aborted: [string, unknown][] = [];
    const running = new RunningItems((id, reason) => aborted.push([id, reason]) > 0);
    const queue = new AbortController();
    const a = running.add('b1', 'b1.0', queue.signal);
    expect(a.signal).toBe(queue.signal);
    expect(running.cancelBatch('b1')).toEqual(['b1.0']);
    expect(aborted).toEqual([['b1.0', expect.any(BatchCancelledError)]]);
    a.done();
    expect(running.cancelBatch('b1')).toEqual([]);
    expect(aborted).toHaveLength(1);
  });

  it("reaches a running BullMQ job's signal with the BatchCancelledError (Worker.cancelJob)", async () => {
    const prefix = testPrefix('running-items');
    const redis = createRedis(testRedisTarget(), { role: 'worker', name: 'running-items-test' });
    const queue = createItemsQueue(redis, prefix);
    const running = new RunningItems();
    const reasons: unknown[] = [];
    let started = 0;
    const worker = createItemsWorker(
      async (job, _token, signal) => {
        const registered = running.add(job.data.batchId, job.id!, signal);
        started++;
        try {
          await new Promise<void>((resolve) => registered.signal.addEventListener('abort', () => resolve()));
          reasons.push(registered.signal.reason);
        } finally {
          registered.done();
        }
        return {};
      },
      { connection: redis, prefix, concurrency: 2 },
    );
    running.useAbortJob((id, reason) => worker.cancelJob(id, reason as string));
    try {
      const data = {
        batchId: 'bx',
        selector: { pool: 'default' },
        steps: [],
        itemTimeoutMs: 1,
        stepTimeoutMs: 1,
      };
      await queue.add('item', { ...data, index: 0 }, { jobId: 'bx.0' });
      await queue.add('item', { ...data, index: 1 }, { jobId: 'bx.1' });
      await waitFor('both jobs running', () => started === 2);
      const ids = running.cancelBatch('bx');
      await waitFor('both signals fired', () => reasons.length === 2);
      expect(ids.sort()).toEqual(['bx.0', 'bx.1']);
      for (const reason of reasons) {
        expect(isFleetError(reason) && reason.code).toBe('BATCH_CANCELLED');
      }
    } finally {
      await worker.close(true);
      await queue.close();
      await deletePrefix(redis, prefix);
      redis.disconnect();
    }
  });
});
