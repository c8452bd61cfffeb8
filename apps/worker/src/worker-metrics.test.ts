import { BatchService } from '@fleet/core';
import { createLogger } from '@fleet/logger';
import { sampleSum } from '@fleet/metrics';
import { BullItemQueue, createItemsQueue } from '@fleet/queue';
import { createRedis, RedisBatchStore, RedisProfileStore, waitReady } from '@fleet/redis';
import { RedisServer, sleep, testPrefix } from '@fleet/testing';
import { driver, provider, settings } from './test-support.js';
import { startWorker } from './worker.js';

describe("the worker's /metrics", () => {
  it("keeps answering through a Redis outage, counts its connections' errors, then counts items again", async () => {
    const server = await RedisServer.start();
    const prefix = testPrefix('wm');
    const logger = createLogger({ name: 'worker-metrics-test', level: 'silent', pretty: false });
    const worker = await startWorker(settings(server.url, prefix), logger, { provider, driver });
    const redis = createRedis(server.url, { role: 'worker' });
    redis.on('error', () => {});
    const queue = createItemsQueue(redis, prefix);
    queue.on('error', () => {});
    const scrape = async () => {
      const res = await fetch(`http://127.0.0.1:${worker.healthPort}/metrics`);
      expect(res.status).toBe(200);
      return res.text();
    };
    const errors = (text: string, connection: string) =>
      sampleSum(text, 'fleet_redis_errors_total', { connection });
    try {
      // BullMQ's blocking connection is watched once BullMQ has connected it (just after start).
      let text = await scrape();
      while (errors(text, 'blocking') === undefined) {
        await sleep(50);
        text = await scrape();
      }
      expect([errors(text, 'main'), errors(text, 'blocking')]).toEqual([0, 0]);
      expect(text).toContain('fleet_browser_starts_total 0');

      await server.stop();
      // Each connection tries to reconnect and is refused: wait until both have counted it.
      while (!(errors(text, 'main')! > 0 && errors(text, 'blocking')! > 0)) {
        await sleep(100);
        text = await scrape();
      }

      // Back up (empty: nothing is persisted): the worker takes jobs again and counts them.
      await server.restart();
      await waitReady(redis, 15_000);
      await new RedisProfileStore(redis, prefix).register({ id: 'p1', pool: 'default' });
      const service = new BatchService(new RedisBatchStore(redis, prefix), new BullItemQueue(queue));
      await service.submit({
        batchId: 'metrics-after-outage',
        pool: 'default',
        steps: [{ goto: 'http://x.test/' }],
        items: [{}],
      });
      while (sampleSum(text, 'fleet_items_total', { state: 'completed' }) !== 1) {
        await sleep(100);
        text = await scrape();
      }
      expect(text).toContain('fleet_browser_starts_total 1');
      expect(sampleSum(text, 'fleet_item_duration_seconds_count')).toBe(1);
    } finally {
      await worker.close(500);
      await queue.close().catch(() => {});
      redis.disconnect();
      await server.close();
    }
  }, 60_000);
});
