/**
 * A worker under host pressure takes no new item and says so in /metrics; it takes them again once
 * the pressure is gone. Real Redis and BullMQ, the host's real /proc readings; the threshold is
 * what forces the pressure (memory over 1% of the host is always true), then is raised.
 */
import { BatchService } from '@fleet/core';
import { createLogger } from '@fleet/logger';
import { sampleSum } from '@fleet/metrics';
import { BullItemQueue, createItemsQueue } from '@fleet/queue';
import { createRedis, RedisBatchStore, RedisProfileStore, RedisResultStore } from '@fleet/redis';
import { deletePrefix, testPrefix, testRedisSettings, testRedisTarget, waitFor } from '@fleet/testing';
import { driver, provider, settings } from './test-support.js';
import { startWorker } from './worker.js';

const logger = createLogger({ name: 'pressure-test', level: 'silent', pretty: false });

it('takes no new item while the host is over a threshold, shows it in /metrics, and resumes once under', async () => {
  const prefix = testPrefix('pressure');
  const redis = createRedis(testRedisTarget(), { role: 'worker', name: 'pressure-test' });
  const queue = createItemsQueue(redis, prefix);
  const results = new RedisResultStore(redis, prefix);
  const worker = await startWorker(
    {
      ...settings('redis://unused', prefix),
      ...testRedisSettings(),
      workerConcurrency: 2,
      workerMaxCpuPercent: 0,
      workerMaxMemoryPercent: 1,
      workerPressureCheckMs: 50,
    },
    logger,
    { provider, driver },
  );
  const scrape = async () => (await fetch(`http://127.0.0.1:${worker.healthPort}/metrics`)).text();
  try {
    await new RedisProfileStore(redis, prefix).register({ id: 'p1', pool: 'default' });
    const service = new BatchService(new RedisBatchStore(redis, prefix), new BullItemQueue(queue));
    // Every check finds memory over 1%: the slots halve to none before the items are queued.
    await waitFor(
      'the gate to shut',
      async () => sampleSum(await scrape(), 'fleet_worker_slots_allowed') === 0,
    );
    const { id } = await service.submit({
      batchId: 'pressed',
      pool: 'default',
      steps: [{ goto: 'http://x.test/' }],
      items: [{}, {}],
    });

    // Several checks found memory over 1% since the items were queued: none was taken.
    const before = sampleSum(await scrape(), 'fleet_worker_pressure_throttled_total', {
      resource: 'memory',
    })!;
    let text = '';
    await waitFor('five more pressure checks', async () => {
      text = await scrape();
      return sampleSum(text, 'fleet_worker_pressure_throttled_total', { resource: 'memory' })! >= before + 5;
    });
    expect(sampleSum(text, 'fleet_worker_slots_allowed')).toBe(0);
    expect(sampleSum(text, 'fleet_worker_pressure', { resource: 'memory' })).toBeGreaterThan(1);
    expect(sampleSum(text, 'fleet_worker_pressure_throttled_total', { resource: 'cpu' })).toBe(0);
    // None runs. A consumer paused inside its blocking wait may still take the one job that wakes
    // it: the gate puts that back (delayed, no attempt spent).
    const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'completed');
    expect(counts).toMatchObject({ active: 0, completed: 0 });
    expect(counts.waiting! + counts.delayed!).toBe(2);
    expect(await results.progress(id)).toMatchObject({ completed: 0 });

    // The threshold raised: the slots grow back one per check and both items run.
    worker.pressure.gate.setLimits({ maxCpuPercent: 0, maxMemoryPercent: 100 });
    await waitFor('both items to complete', async () => (await results.progress(id))?.completed === 2);
    text = await scrape();
    expect(sampleSum(text, 'fleet_worker_slots_allowed')).toBeGreaterThanOrEqual(1);
    expect(sampleSum(text, 'fleet_items_total', { state: 'completed' })).toBe(2);
  } finally {
    await worker.close(500);
    await queue.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  }
}, 30_000);
