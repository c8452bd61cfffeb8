/**
 * Submit benchmark, on a throwaway redis-server: accepting a 10,000-item batch through
 * the API (HTTP parsing via inject, auth, zod validation, `{{var}}` planning, batch record,
 * chunked enqueue) against a raw BullMQ `addBulk` of the same 10,000 jobs, in the same run.
 * Figure: items/s accepted; goal >= 0.6x of the raw addBulk. Rounds alternate the two sides; the
 * median round of each is reported. Results go to bench/results/submit.json.
 */
import { ApiKeyRing } from '@fleet/auth';
import { type ItemJob, itemId } from '@fleet/contracts';
import { createItemsQueue, ITEM_JOB } from '@fleet/queue';
import { createRedis, RedisProfileStore, waitReady } from '@fleet/redis';
import { figure, percentile, RedisServer, reportBench } from '@fleet/testing';
import { FileArtifactStore } from '@fleet/webdriver/artifacts';
import { buildServer } from '../src/server.js';

const ITEMS = 10_000;
const ROUNDS = 7;
const KEY = 'bench-admin-key-0123456789';
const steps = [
  { goto: 'https://shop.example/{{path}}' },
  { waitFor: { selector: 'h1' } },
  { extract: { name: 'title', selector: 'h1' } },
  { screenshot: { name: 'page' } },
];

async function main(): Promise<void> {
  const server = await RedisServer.start();
  const redis = createRedis(server.url, { role: 'producer', overrides: { commandTimeout: 10_000 } });
  await waitReady(redis);
  const prefix = 'bench';
  const queue = createItemsQueue(redis, prefix);
  await new RedisProfileStore(redis, prefix).register({ id: 'p1', pool: 'default' });
  const app = await buildServer({
    settings: {
      prefix,
      maxBatchItems: ITEMS,
      bodyLimitBytes: 64 * 1024 * 1024,
      rateLimitPerMinute: 0,
      itemAttempts: 3,
      itemBackoffMs: 2000,
      resultRetentionSec: 3600,
    },
    redis,
    queue,
    keys: ApiKeyRing.fromEntries([{ name: 'ops', role: 'admin', key: KEY }]),
    artifacts: new FileArtifactStore('/tmp/fleet-bench-artifacts'),
  });
  const items = Array.from({ length: ITEMS }, (_, i) => ({ path: `products/${i}` }));
  const payload = JSON.stringify({ name: 'bench', pool: 'default', steps, items });

  const fleetRates: number[] = [];
  const rawRates: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Fleet: the whole request.
      let t = process.hrtime.bigint();
      const res = await app.inject({
        method: 'POST',
        url: '/v1/batches',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        payload,
      });
      if (res.statusCode !== 202) throw new Error(`submit answered ${res.statusCode}: ${res.body}`);
      fleetRates.push(ITEMS / (Number(process.hrtime.bigint() - t) / 1e9));

      // Raw: the same jobs (steps already filled in) in one addBulk.
      const batchId = `raw${round}`;
      const jobs = items.map((vars, index) => ({
        name: ITEM_JOB as typeof ITEM_JOB,
        data: {
          batchId,
          index,
          selector: { pool: 'default' },
          steps: [{ goto: `https://shop.example/${vars.path}` }, ...steps.slice(1)],
          itemTimeoutMs: 120_000,
          stepTimeoutMs: 15_000,
        } as ItemJob,
        opts: { jobId: itemId(batchId, index) },
      }));
      t = process.hrtime.bigint();
      await queue.addBulk(jobs);
      rawRates.push(ITEMS / (Number(process.hrtime.bigint() - t) / 1e9));
      await redis.flushdb();
      await new RedisProfileStore(redis, prefix).register({ id: 'p1', pool: 'default' });
    }
    const fleet = percentile(fleetRates, 50);
    const raw = percentile(rawRates, 50);
    console.log(
      `rounds (items/s): fleet ${fleetRates.map(Math.round).join(', ')}; raw ${rawRates.map(Math.round).join(', ')}`,
    );
    reportBench('submit', [
      figure({
        name: `accept a ${ITEMS}-item batch (API) vs raw addBulk`,
        value: fleet,
        unit: 'items/s',
        baseline: raw,
        goal: { atLeast: 0.6 },
      }),
    ]);
  } finally {
    await app.close();
    await queue.close();
    redis.disconnect();
    await server.close();
  }
}

await main();
