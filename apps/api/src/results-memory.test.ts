import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ItemResult } from '@fleet/contracts';
import { createRedis, type FleetRedis, RedisBatchStore, RedisResultStore, waitReady } from '@fleet/redis';
import {
  AppProcess,
  deletePrefix,
  freePort,
  TEST_KEYS,
  testPrefix,
  testRedisEnv,
  testRedisTarget,
} from '@fleet/testing';
import { newBatchId } from './routes/batches-routes.js';

/**
 * The export of a 10,000-item batch (~8 KB of data per item, ~85 MB exported) from a real API
 * process, read by a client that stops reading now and then: the API's heap and RSS, sampled from
 * its own /metrics and /proc while it streams, stay within a bound far below the results' size.
 */
const ITEMS = 10_000;
const DATA_CHARS = 8_000;
/** The API's old-space cap: loading the ~85 MB of results (as strings, then parsed) cannot fit. */
const OLD_SPACE_MB = 96;
/** Most the API's used heap may grow over its idle level while streaming (the results: ~85 MB). */
const HEAP_GROWTH_BOUND = 36 * 1024 * 1024;
/** Most its RSS may grow. */
const RSS_GROWTH_BOUND = 64 * 1024 * 1024;

let dir: string;
let redis: FleetRedis;
let api: AppProcess;
let base: string;
const prefix = testPrefix('export');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-export-'));
  redis = createRedis(testRedisTarget(), { role: 'producer' });
  await waitReady(redis);
  const port = await freePort('127.0.0.1');
  base = `http://127.0.0.1:${port}`;
  api = AppProcess.app(
    'api',
    'api',
    {
      ...testRedisEnv(),
      FLEET_PREFIX: prefix,
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      FLEET_API_KEYS: JSON.stringify([TEST_KEYS.acme]),
      ARTIFACTS_DIR: join(dir, 'artifacts'),
      ARTIFACT_SWEEP_EVERY_MS: '0',
      API_RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
      // V8 lets garbage pile up to far more than this unless told (a run without it: 40 → 140 MB
      // and back, garbage only): capped, garbage is collected early and retention shows.
      NODE_OPTIONS: `--max-old-space-size=${OLD_SPACE_MB}`,
    },
    { logDir: dir },
  );
  await api.waitHttp(`${base}/ready`, 90_000);
}, 120_000);

afterAll(async () => {
  await api?.stop(5000);
  if (redis) {
    await deletePrefix(redis, prefix);
    redis.disconnect();
  }
  rmSync(dir, { recursive: true, force: true });
});

async function seedBatch(total: number, dataChars: number): Promise<string> {
  const id = newBatchId();
  await new RedisBatchStore(redis, prefix).create({ id, owner: 'acme', pool: 'default', total });
  const results = new RedisResultStore(redis, prefix);
  const filler = 'x'.repeat(dataChars);
  for (let start = 0; start < total; start += 250) {
    await Promise.all(
      Array.from({ length: Math.min(250, total - start) }, (_, i) => {
        const index = start + i;
        const result: ItemResult = {
          state: index % 10 === 0 ? 'failed' : 'completed',
          data: { n: index, body: `${index}:${filler}` },
          artifacts: {},
          url: `https://example.test/${index}`,
          title: 'T',
          profileId: 'p1',
          attempts: 1,
          durationMs: 5,
          finishedAt: Date.now(),
          ...(index % 10 === 0 ? { error: { code: 'STEP_TIMEOUT', message: 'slow, "very"', step: 0 } } : {}),
        };
        return results.record({ batchId: id, index }, 0, result);
      }),
    );
  }
  return id;
}

interface Memory {
  heap: number;
  rss: number;
}

/** The API process's used heap (its /metrics, prom-client's default metrics) and RSS (/proc). */
async function apiMemory(): Promise<Memory> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const heap = Number(/^nodejs_heap_size_used_bytes (\d+)/m.exec(text)?.[1]);
  const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${api.pid}/status`, 'utf8'))?.[1]);
  expect(heap).toBeGreaterThan(0);
  return { heap, rss: rssKb * 1024 };
}

/** GETs an export; every 4 MiB the reader stops for a while and samples the API's memory. */
function readSlowly(
  path: string,
  accept: string,
  samples: Memory[],
): Promise<{ bytes: number; lines: number }> {
  return new Promise((done, fail) => {
    const request = httpGet(
      `${base}${path}`,
      { headers: { authorization: `Bearer ${TEST_KEYS.acme.key}`, accept } },
      (res: IncomingMessage) => {
        if (res.statusCode !== 200) return fail(new Error(`HTTP ${res.statusCode}`));
        let bytes = 0;
        let lines = 0;
        let nextPause = 4 * 1024 * 1024;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          for (const byte of chunk) if (byte === 10) lines++;
          if (bytes >= nextPause) {
            nextPause += 4 * 1024 * 1024;
            res.pause();
            // Not reading for a while: a server that ignored backpressure would pile results up now.
            setTimeout(() => {
              apiMemory().then((m) => {
                samples.push(m);
                res.resume();
              }, fail);
            }, 300);
          }
        });
        res.on('end', () => done({ bytes, lines }));
        res.on('error', fail);
      },
    );
    request.on('error', fail);
  });
}

it('streams 10,000 items as JSON Lines and as CSV with the API heap bounded far below their size', async () => {
  const id = await seedBatch(ITEMS, DATA_CHARS);
  const small = await seedBatch(20, DATA_CHARS);
  // Warm up: the route's code paths loaded and compiled before the idle level is taken.
  await readSlowly(`/v1/batches/${small}/results`, '*/*', []);
  await readSlowly(`/v1/batches/${small}/results`, 'text/csv', []);
  const idle: Memory[] = [];
  for (let i = 0; i < 3; i++) idle.push(await apiMemory());
  const heapIdle = Math.min(...idle.map((m) => m.heap));
  const rssIdle = Math.min(...idle.map((m) => m.rss));

  for (const accept of ['application/x-ndjson', 'text/csv']) {
    const samples: Memory[] = [];
    const { bytes, lines } = await readSlowly(`/v1/batches/${id}/results`, accept, samples);
    // JSON Lines: one line per item; CSV: the header too.
    expect(lines).toBe(accept === 'text/csv' ? ITEMS + 1 : ITEMS);
    expect(bytes).toBeGreaterThan(ITEMS * DATA_CHARS);
    expect(samples.length).toBeGreaterThanOrEqual(10);
    const heapPeak = Math.max(...samples.map((m) => m.heap));
    const rssPeak = Math.max(...samples.map((m) => m.rss));
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    // Reported for the record (the README states the figures of a run).
    process.stdout.write(
      `export ${accept}: ${mb(bytes)} sent in ${samples.length} pauses (heap MB: ${samples.map((m) => (m.heap / 1048576).toFixed(0)).join(' ')}); API heap idle ${mb(heapIdle)}, peak ${mb(heapPeak)} (+${mb(heapPeak - heapIdle)}); RSS idle ${mb(rssIdle)}, peak ${mb(rssPeak)} (+${mb(rssPeak - rssIdle)})\n`,
    );
    expect(heapPeak - heapIdle).toBeLessThan(HEAP_GROWTH_BOUND);
    expect(rssPeak - rssIdle).toBeLessThan(RSS_GROWTH_BOUND);
    expect(HEAP_GROWTH_BOUND).toBeLessThan(bytes / 2);
  }
}, 300_000);
