/**
 * Politeness per site across workers (README "Sharing a fleet"): with `perSite.maxConcurrent` 2,
 * two workers of 3 slots each never run more than 2 items of the site at once; the others wait
 * without spending an attempt, counted in fleet_site_waits_total. Real BullMQ and redis-server;
 * the driver only holds each item a while and counts how many run at once.
 */
import type { Step } from '@fleet/contracts';
import { BatchService, type BrowserDriver, type RunStepsOptions, type StepsOutcome } from '@fleet/core';
import { MemoryProvider } from '@fleet/core/testing';
import { createLogger } from '@fleet/logger';
import { BullItemQueue, createItemsQueue } from '@fleet/queue';
import { createRedis, Keys, RedisBatchStore, RedisProfileStore, RedisResultStore } from '@fleet/redis';
import { deletePrefix, sleep, testPrefix, testRedisUrl, waitFor } from '@fleet/testing';
import { settings } from './test-support.js';
import { startWorker } from './worker.js';

/** Holds each item 120 ms and counts the items running at once, by the host of their first goto. */
class SiteCountingDriver implements BrowserDriver {
  readonly running = new Map<string, number>();
  readonly most = new Map<string, number>();
  async run(_endpoint: unknown, steps: Step[], _options: RunStepsOptions): Promise<StepsOutcome> {
    const first = steps[0];
    const host = first && 'goto' in first ? new URL(first.goto).host : 'none';
    const now = (this.running.get(host) ?? 0) + 1;
    this.running.set(host, now);
    this.most.set(host, Math.max(this.most.get(host) ?? 0, now));
    await sleep(120);
    this.running.set(host, (this.running.get(host) ?? 1) - 1);
    return { data: {}, artifacts: {}, url: null, title: null };
  }
}

it('runs at most perSite.maxConcurrent items of a site at once across workers, the rest wait unspent', async () => {
  const prefix = testPrefix('sites');
  const redis = createRedis(testRedisUrl(), { role: 'worker' });
  const queue = createItemsQueue(redis, prefix, { attempts: 1 });
  const logger = createLogger({ name: 'sites-test', level: 'silent', pretty: false });
  const driver = new SiteCountingDriver();
  const profiles = new RedisProfileStore(redis, prefix);
  for (let i = 0; i < 6; i++) await profiles.register({ id: `p${i}`, pool: 'default' });
  const workers = await Promise.all(
    ['w1', 'w2'].map((id) =>
      startWorker({ ...settings(testRedisUrl(), prefix), workerId: id, workerConcurrency: 3 }, logger, {
        provider: new MemoryProvider(),
        driver,
      }),
    ),
  );
  try {
    const service = new BatchService(new RedisBatchStore(redis, prefix), new BullItemQueue(queue));
    // A second batch on another site with no rule runs alongside, unthrottled.
    await service.submit({
      batchId: 'polite',
      pool: 'default',
      steps: [{ goto: 'http://shop.test:8080/item/{{i}}' }],
      items: Array.from({ length: 10 }, (_, i) => ({ i })),
      perSite: { maxConcurrent: 2 },
    });
    await service.submit({
      batchId: 'free',
      pool: 'default',
      steps: [{ goto: 'http://other.test/{{i}}' }],
      items: Array.from({ length: 6 }, (_, i) => ({ i })),
    });
    const results = new RedisResultStore(redis, prefix);
    await waitFor(
      'both batches to finish',
      async () => {
        const [a, b] = await Promise.all([results.progress('polite'), results.progress('free')]);
        return a?.done && b?.done;
      },
      { timeoutMs: 30_000 },
    );
    expect(await results.progress('polite')).toMatchObject({ completed: 10, failed: 0 });
    expect(driver.most.get('shop.test:8080')).toBe(2);
    expect(driver.most.get('other.test')).toBeGreaterThan(2);
    // Waiting for the site spent no attempt (the queue's attempts are 1: a spent one would fail).
    for (let i = 0; i < 10; i++) {
      expect((await results.get({ batchId: 'polite', index: i }))?.attempts).toBe(1);
    }
    const waits = (await Promise.all(workers.map((w) => w.metrics.text()))).join('\n');
    const counted = [...waits.matchAll(/^fleet_site_waits_total\{site="shop\.test:8080"\} (\d+)$/gm)].map(
      (m) => Number(m[1]),
    );
    expect(counted.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(waits).not.toMatch(/fleet_site_waits_total\{site="other\.test"\}/);
  } finally {
    await Promise.all(workers.map((w) => w.close(500)));
    await queue.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  }
});

it('pauses a site for every worker when one of its pages answers 429, and the items still complete', async () => {
  const prefix = testPrefix('sites-429');
  const redis = createRedis(testRedisUrl(), { role: 'worker' });
  const queue = createItemsQueue(redis, prefix, { attempts: 1 });
  const logger = createLogger({ name: 'sites-test', level: 'silent', pretty: false });
  const starts: number[] = [];
  // The site answers the first page 429 (as the browser's navigation timing would tell).
  const driver: BrowserDriver = {
    async run(_endpoint, _steps, options) {
      starts.push(Date.now());
      if (starts.length === 1) options.onPageStatus?.(429);
      return { data: {}, artifacts: {}, url: null, title: null };
    },
  };
  await new RedisProfileStore(redis, prefix).register({ id: 'p1', pool: 'default' });
  const worker = await startWorker(settings(testRedisUrl(), prefix), logger, {
    provider: new MemoryProvider(),
    driver,
  });
  try {
    const service = new BatchService(new RedisBatchStore(redis, prefix), new BullItemQueue(queue));
    await service.submit({
      batchId: 'busy',
      pool: 'default',
      steps: [{ goto: 'http://busy.test/{{i}}' }],
      items: Array.from({ length: 3 }, (_, i) => ({ i })),
      perSite: { maxConcurrent: 5 },
    });
    const results = new RedisResultStore(redis, prefix);
    await waitFor('the batch to finish', async () => (await results.progress('busy'))?.done, {
      timeoutMs: 30_000,
    });
    expect(await results.progress('busy')).toMatchObject({ completed: 3, failed: 0 });
    expect(await redis.hget(new Keys(prefix).site('busy.test').state, 'backoffMs')).toBe('1000');
    // The items after the 429 started only once the site's 1 s pause was over.
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(900);
    expect(await worker.metrics.text()).toMatch(/^fleet_site_waits_total\{site="busy\.test"\} [1-9]/m);
  } finally {
    await worker.close(500);
    await queue.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  }
});
