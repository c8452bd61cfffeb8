/**
 * Code scenarios in the worker: a module of SCENARIOS_DIR that does not load stops the worker
 * (exit 2, the file named); a scenario item is never taken by a worker without its scenario and is
 * taken as soon as one with it starts (its queue, the shared concurrency, the registry's
 * heartbeat). Real Redis and BullMQ; no browser (MemoryProvider, a scenario runner that echoes).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchService, type ScenarioRunner } from '@fleet/core';
import { createLogger } from '@fleet/logger';
import { BullItemQueue, createItemsQueue, ItemQueues } from '@fleet/queue';
import {
  createRedis,
  RedisBatchStore,
  RedisProfileStore,
  RedisResultStore,
  RedisScenarioRegistry,
} from '@fleet/redis';
import { defineScenario, scenarioOf } from '@fleet/scenario';
import {
  AppProcess,
  deletePrefix,
  REPO_ROOT,
  sleep,
  testPrefix,
  testRedisTarget,
  testRedisUrl,
  waitFor,
} from '@fleet/testing';
import { z } from 'zod';
import { driver, provider, settings } from './test-support.js';
import { startWorker } from './worker.js';

const logger = createLogger({ name: 'scenarios-test', level: 'silent', pretty: false });

it('exits 2 naming the module when a scenario does not load', async () => {
  const logDir = mkdtempSync(join(tmpdir(), 'fleet-scenarios-'));
  const worker = AppProcess.app(
    'broken-scenarios',
    'worker',
    {
      REDIS_URL: 'redis://127.0.0.1:9',
      SCENARIOS_DIR: join(REPO_ROOT, 'packages/scenario/src/fixtures/broken'),
      LOG_LEVEL: 'silent',
    },
    { logDir },
  );
  expect(await worker.exited).toBe(2);
  expect(readFileSync(worker.logFile, 'utf8')).toMatch(
    /SCENARIO_LOAD_FAILED: scenario .*fixtures\/broken\/throws\.ts: does not load: boom at import/,
  );
}, 30_000);

describe('routing scenario items', () => {
  const prefix = testPrefix('wscen');
  const redis = createRedis(testRedisTarget(), { role: 'worker' });
  const queue = createItemsQueue(redis, prefix);
  const queues = new ItemQueues(queue);
  const results = new RedisResultStore(redis, prefix);
  afterAll(async () => {
    await queues.close();
    await queue.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  const probe = scenarioOf(
    {
      default: defineScenario({
        name: 'probe',
        version: '1',
        input: z.object({ n: z.number() }),
        run: async () => ({}),
      }),
    },
    'probe.ts',
  );
  /** Runs no browser: answers the item's input back, with the worker that ran it. */
  const echo = (workerId: string): ScenarioRunner => ({
    has: (s) => s.name === 'probe' && s.version === '1',
    run: async (_endpoint, call) => ({
      data: { input: call.input, by: workerId, resumed: call.resumed },
      artifacts: {},
      url: null,
      title: null,
    }),
  });

  it('a worker without the scenario never takes its items; one that has it takes them when it starts', async () => {
    await new RedisProfileStore(redis, prefix).register({ id: 'p1', pool: 'default' });
    const plain = await startWorker({ ...settings(testRedisUrl(), prefix), workerId: 'plain' }, logger, {
      provider,
      driver,
    });
    const service = new BatchService(new RedisBatchStore(redis, prefix), new BullItemQueue(queues));
    try {
      await service.submit({
        batchId: 'scen',
        pool: 'default',
        scenario: { name: 'probe', version: '1' },
        items: [{ n: 1 }, { n: 2 }],
      });
      await service.submit({
        batchId: 'steps',
        pool: 'default',
        steps: [{ goto: 'http://x.test/' }],
        items: [{}],
      });
      // The plain worker runs the steps item but leaves the scenario's items waiting in their queue.
      await waitFor(
        'the steps item',
        async () => (await results.get({ batchId: 'steps', index: 0 })) ?? undefined,
        {
          timeoutMs: 10_000,
        },
      );
      await sleep(1000);
      expect(await results.get({ batchId: 'scen', index: 0 })).toBeNull();
      expect(await queues.of('probe@1').getJobCounts('wait', 'active')).toEqual({ wait: 2, active: 0 });

      const having = await startWorker(
        { ...settings(testRedisUrl(), prefix), workerId: 'having', scenarioHeartbeatMs: 500 },
        logger,
        { provider, driver, scenarios: [probe], scenarioRunner: echo('having') },
      );
      try {
        const registry = new RedisScenarioRegistry(redis, prefix);
        expect((await registry.list()).map((s) => [s.id, s.workers])).toEqual([['probe@1', 1]]);
        for (const index of [0, 1]) {
          const result = await waitFor(
            'a scenario item',
            async () => (await results.get({ batchId: 'scen', index })) ?? undefined,
            {
              timeoutMs: 10_000,
            },
          );
          expect(result).toMatchObject({
            state: 'completed',
            data: { input: { n: index + 1 }, by: 'having', resumed: null },
          });
        }
      } finally {
        await having.close(500);
      }
      // A worker that stopped withdraws its advertisement.
      expect((await new RedisScenarioRegistry(redis, prefix).workersAlive(['probe@1'])).get('probe@1')).toBe(
        0,
      );
    } finally {
      await plain.close(500);
    }
  }, 60_000);
});
