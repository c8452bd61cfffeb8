/**
 * Nothing an item leaves in Redis outlives its batch: the event dedupe markers a worker writes
 * expire with the batch's keys (RESULT_RETENTION_SEC), not a fixed week later. The soak found one
 * marker per item piling up whenever the retention was shorter than that week.
 */
import { BatchService } from '@fleet/core';
import { createLogger } from '@fleet/logger';
import { BullItemQueue, createItemsQueue } from '@fleet/queue';
import {
  createRedis,
  Keys,
  RedisBatchStore,
  RedisProfileStore,
  RedisResultStore,
  scanKeys,
} from '@fleet/redis';
import { deletePrefix, testPrefix, testRedisUrl, waitFor } from '@fleet/testing';
import { driver, provider, settings } from './test-support.js';
import { startWorker } from './worker.js';

const RETENTION_SEC = 30;

it('writes event dedupe markers that expire within RESULT_RETENTION_SEC', async () => {
  const prefix = testPrefix('retention');
  const redis = createRedis(testRedisUrl(), { role: 'worker' });
  const queue = createItemsQueue(redis, prefix);
  const logger = createLogger({ name: 'retention-test', level: 'silent', pretty: false });
  const worker = await startWorker(
    { ...settings(testRedisUrl(), prefix), resultRetentionSec: RETENTION_SEC },
    logger,
    {
      provider,
      driver,
    },
  );
  try {
    await new RedisProfileStore(redis, prefix).register({ id: 'p1', pool: 'default' });
    const service = new BatchService(new RedisBatchStore(redis, prefix), new BullItemQueue(queue));
    await service.submit({
      batchId: 'short',
      pool: 'default',
      steps: [{ goto: 'http://x.test/' }],
      items: [{}, {}, {}],
    });
    const results = new RedisResultStore(redis, prefix);
    await waitFor('the batch to finish', async () => (await results.progress('short'))?.done);
    const markers = await waitFor('the markers of 3 items and the batch', async () => {
      const found: string[] = [];
      for await (const keys of scanKeys(redis, `${new Keys(prefix).events.dedupe('')}*`)) found.push(...keys);
      return found.length >= 4 && found;
    });
    const ttls = await Promise.all(markers.map((key) => redis.ttl(key)));
    for (const ttl of ttls) {
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(RETENTION_SEC);
    }
  } finally {
    await worker.close(500);
    await queue.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  }
}, 30_000);
