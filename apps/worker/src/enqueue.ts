/**
 * Debug entry point: enqueue a batch without the API.
 *   pnpm --filter @fleet/worker enqueue <batch.json> [--wait]
 * The file: {"pool": "default", "steps": [...], "items": [{"var": "value"}, ...], "name"?: "..."}.
 * Validated with the shared contracts ({{var}} filled in per item) before anything is queued;
 * --wait prints the batch's events until `batch.completed`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfigOrExit } from '@fleet/config';
import { stepsSchema, zodDetails } from '@fleet/contracts';
import { BatchService, isFleetError } from '@fleet/core';
import { BullItemQueue, createItemsQueue } from '@fleet/queue';
import { createRedis, RedisBatchStore, RedisEventStream, redisTargetOf, waitReady } from '@fleet/redis';

function fail(lines: string[]): never {
  for (const line of lines) console.error(line);
  process.exit(2);
}

const [file, ...flags] = process.argv.slice(2);
if (!file) fail(['usage: pnpm --filter @fleet/worker enqueue <batch.json> [--wait]']);
const config = loadConfigOrExit({});
let body: { pool?: unknown; steps?: unknown; items?: unknown; name?: unknown };
try {
  // pnpm --filter runs scripts in the package folder: resolve the path from where the user typed it.
  body = JSON.parse(readFileSync(resolve(process.env.INIT_CWD ?? process.cwd(), file), 'utf8'));
} catch (error) {
  fail([`cannot read ${file}: ${(error as Error).message}`]);
}
const steps = stepsSchema.safeParse(body.steps);
if (!steps.success) fail(zodDetails(steps.error).map((d) => `steps ${d.field}: ${d.message}`));

const redis = createRedis(redisTargetOf(config.getProperties()), { role: 'producer' });
await waitReady(redis);
const prefix = config.get('prefix');
const queue = createItemsQueue(redis, prefix);
const events = new RedisEventStream(redis, prefix);
let last = (await redis.xrevrange(events.streamKey, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
try {
  const batch = await new BatchService(new RedisBatchStore(redis, prefix), new BullItemQueue(queue)).submit({
    batchId: `b_${randomBytes(8).toString('hex')}`,
    name: typeof body.name === 'string' ? body.name : null,
    pool: typeof body.pool === 'string' ? body.pool : 'default',
    steps: steps.data,
    items: Array.isArray(body.items) ? body.items : [{}],
  });
  console.log(`batch ${batch.id}: ${batch.total} items queued`);
  while (flags.includes('--wait')) {
    const fresh = await events.readAfter(last);
    last = fresh.at(-1)?.id ?? last;
    const mine = fresh.filter((e) => e.batchId === batch.id);
    for (const e of mine) console.log(`${e.type} ${e.itemId ?? ''} ${JSON.stringify(e.data)}`);
    if (mine.some((e) => e.type === 'batch.completed')) break;
    await new Promise((r) => setTimeout(r, 250));
  }
} catch (error) {
  if (!isFleetError(error)) throw error;
  fail([`${error.code}: ${error.message}`, ...error.details.map((d) => `  ${d.field ?? ''}: ${d.message}`)]);
} finally {
  await queue.close();
  redis.disconnect();
}
