/**
 * Fair share benchmark (issue 19 section 4; README "Sharing a fleet", DESIGN.md §4), on a
 * throwaway redis-server:
 *
 * 1. Fairness: 4 worker hosts (scaleout-host.ts processes, the real worker with fair share's
 *    dispatcher, BENCH_FETCH: each item asks this process's site for its page, which answers after
 *    the item's duration, BENCH_SLEEP_MS x 0.5..1.5) and three API keys, weights 1/1/2, submitting
 *    20,000 / 2,000 / 2,000 items at 0 s, 3 s and 6 s through FairItemQueue (the API's path). The
 *    site logs every page's start and end by key: each key's share of the running pages per second,
 *    Jain's fairness index of the shares against the weighted ideal (x_i = share_i / ideal_i) over
 *    the span all three keys have work (goal >= 0.95), and each small key's wait from its submit to
 *    its first page (goal <= 2 s). The big key's rest is cancelled once the small ones are done.
 * 2. Politeness: a batch with perSite.maxConcurrent 3 on the same 4 hosts: the most pages the site
 *    served at once (goal: never a 4th).
 * 3. Cost: the no-op pipeline (one worker in this process, InstantDriver, MemoryProvider) with fair
 *    share against without, alternating rounds, items/s from submit to the last result (goal:
 *    fair share at most 10% slower, ratio >= 0.9).
 *
 * Figures go to bench/results/fairness.json. Knobs (env): BENCH_CONCURRENCY (8 per host),
 * BENCH_SLEEP_MS (100), BENCH_ROUNDS (5, the cost's), BENCH_NOOP_ITEMS (3000), BENCH_LOG.
 */
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Step } from '@fleet/contracts';
import { BatchService, type ItemQueue } from '@fleet/core';
import { InstantDriver, MemoryProvider } from '@fleet/core/testing';
import { createLogger } from '@fleet/logger';
import { BullItemQueue, createItemsQueue, FairItemQueue, type ItemsQueue } from '@fleet/queue';
import {
  createRedis,
  type FleetRedis,
  RedisBatchStore,
  RedisFairShare,
  RedisProfileStore,
  RedisResultStore,
  waitReady,
} from '@fleet/redis';
import {
  type BenchFigure,
  benchSetting,
  figure,
  listenOnLoopback,
  RedisServer,
  reportBench,
  sleep,
} from '@fleet/testing';
import { workerSettings } from '../src/config.js';
import { startWorker } from '../src/worker.js';
import { HostProcess } from './host-process.js';
import { runBench } from './run-bench.js';

const HOSTS = 4;
const CONCURRENCY = benchSetting('BENCH_CONCURRENCY', 8);
const SLEEP_MS = benchSetting('BENCH_SLEEP_MS', 100);
const ROUNDS = benchSetting('BENCH_ROUNDS', 5);
const NOOP_ITEMS = benchSetting('BENCH_NOOP_ITEMS', 3000);
const POOL = 'default';
const TENANTS = [
  { name: 'big', weight: 1, items: 20_000, at: 0 },
  { name: 'small', weight: 1, items: 2000, at: 3000 },
  { name: 'heavy', weight: 2, items: 2000, at: 6000 },
] as const;
const SITE_ITEMS = 300;
const SITE_LIMIT = 3;

// ---------------------------------------------------------------------------------------------
// The site: answers /t/<key>?ms=N after N ms, logging each page's span

interface Page {
  key: string;
  start: number;
  end: number;
}

async function startSite() {
  const pages: Page[] = [];
  const open = new Map<string, number>();
  const most = new Map<string, number>();
  const server = await listenOnLoopback(
    createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://site');
      const key = url.pathname.split('/')[2] ?? '';
      const ms = Number(url.searchParams.get('ms') ?? 0);
      const start = Date.now();
      open.set(key, (open.get(key) ?? 0) + 1);
      most.set(key, Math.max(most.get(key) ?? 0, open.get(key)!));
      setTimeout(() => {
        open.set(key, open.get(key)! - 1);
        pages.push({ key, start, end: Date.now() });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      }, ms);
    }),
  );
  return { ...server, pages, most, url: (key: string) => `http://127.0.0.1:${server.port}/t/${key}` };
}

type Site = Awaited<ReturnType<typeof startSite>>;

// ---------------------------------------------------------------------------------------------
// Shares and Jain's index

/** Page-milliseconds of each key within [from, to). */
function busy(pages: Page[], from: number, to: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of pages) {
    const ms = Math.min(p.end, to) - Math.max(p.start, from);
    if (ms > 0) out.set(p.key, (out.get(p.key) ?? 0) + ms);
  }
  return out;
}

/** Jain's index of the shares against the weights: 1 when each key has exactly its weighted share. */
export function jain(shares: number[], weights: number[]): number {
  const total = shares.reduce((a, b) => a + b, 0);
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const x = shares.map((s, i) => s / total / (weights[i]! / weightSum));
  const sum = x.reduce((a, b) => a + b, 0);
  const squares = x.reduce((a, b) => a + b * b, 0);
  return (sum * sum) / (x.length * squares);
}

// ---------------------------------------------------------------------------------------------
// 1 and 2: fairness and politeness on 4 hosts

async function submitAs(
  producer: FleetRedis,
  prefix: string,
  queue: ItemsQueue,
  key: string,
  weight: number,
  steps: Step[],
  items: number,
  extra: { perSite?: { maxConcurrent: number } } = {},
): Promise<{ batchId: string; at: number }> {
  const fair = new FairItemQueue(queue, new RedisFairShare(producer, prefix), () => ({ weight, cap: 0 }));
  const service = new BatchService(new RedisBatchStore(producer, prefix), fair);
  const batchId = `${key}-${Date.now()}`;
  const at = Date.now();
  await service.submit({
    batchId,
    owner: key,
    pool: POOL,
    steps,
    items: Array.from({ length: items }, (_, i) => ({ i })),
    ...extra,
  });
  return { batchId, at };
}

async function fairnessRun(producer: FleetRedis, url: string, site: Site) {
  const prefix = `bench-fair-${Date.now()}`;
  const profiles = new RedisProfileStore(producer, prefix);
  for (let i = 0; i < HOSTS * CONCURRENCY * 2; i++) await profiles.register({ id: `p${i}`, pool: POOL });
  const hosts = Array.from(
    { length: HOSTS },
    (_, h) =>
      new HostProcess(`h${h + 1}`, {
        BENCH_SLEEP_MS: String(SLEEP_MS),
        BENCH_SEED: String(h + 1),
        BENCH_FETCH: '1',
        REDIS_URL: url,
        WORKER_CONCURRENCY: String(CONCURRENCY),
        WORKER_PORT: '0',
        ARTIFACTS_DIR: join(tmpdir(), 'fleet-bench-artifacts-unused'),
        MULTILOGIN_API_URL: 'http://127.0.0.1:9',
        MULTILOGIN_LAUNCHER_URL: 'http://127.0.0.1:9',
        ALLOWED_TARGETS: `127.0.0.1:${site.port}`,
        LOG_LEVEL: process.env.BENCH_LOG ?? 'silent',
      }),
  );
  const queue = createItemsQueue(producer, prefix);
  const results = new RedisResultStore(producer, prefix);
  const fair = new RedisFairShare(producer, prefix);
  try {
    await Promise.all(
      hosts.map((h) => h.request({ type: 'start', mode: 'fleet', prefix, workerId: `${prefix}-${h.name}` })),
    );
    // 1. Three keys, at 0 s, 3 s and 6 s.
    const t0 = Date.now();
    const submitted = new Map<string, { batchId: string; at: number }>();
    for (const t of TENANTS) {
      const wait = t0 + t.at - Date.now();
      if (wait > 0) await sleep(wait);
      submitted.set(
        t.name,
        await submitAs(producer, prefix, queue, t.name, t.weight, [{ goto: site.url(t.name) }], t.items),
      );
    }
    const done = async (key: string) => {
      const p = await results.progress(submitted.get(key)!.batchId);
      return p?.done ?? false;
    };
    const deadline = Date.now() + 5 * 60_000;
    while (!((await done('small')) && (await done('heavy')))) {
      if (Date.now() > deadline) throw new Error('the small keys did not finish within 5 min');
      await sleep(200);
    }
    const smallDone = Math.max(...site.pages.filter((p) => p.key !== 'big').map((p) => p.end));
    // The big key's rest is not needed: cancel it (its pending items are dropped).
    const big = submitted.get('big')!;
    await fair.cancel(big.batchId);
    await sleep(1000);

    // Shares over time (1 s buckets) and over the span all three had work.
    const all = site.pages.filter((p) => p.key !== 'polite');
    const bothSmallDone = Math.min(
      ...['small', 'heavy'].map((k) => Math.max(...all.filter((p) => p.key === k).map((p) => p.end))),
    );
    const from = submitted.get('heavy')!.at + 1000; // the heavy key's first second is its ramp
    const span = busy(all, from, bothSmallDone);
    const names = TENANTS.map((t) => t.name);
    const shares = names.map((n) => span.get(n) ?? 0);
    const index = jain(
      shares,
      TENANTS.map((t) => t.weight),
    );
    const buckets: { t: number; [key: string]: number }[] = [];
    for (let s = t0; s < smallDone; s += 1000) {
      const b = busy(all, s, s + 1000);
      const row: { t: number; [key: string]: number } = { t: (s - t0) / 1000 };
      for (const n of names) row[n] = Number(((b.get(n) ?? 0) / 1000).toFixed(2)); // pages running, mean
      buckets.push(row);
    }
    const firstWait = (key: string) => {
      const first = Math.min(...all.filter((p) => p.key === key).map((p) => p.start));
      return (first - submitted.get(key)!.at) / 1000;
    };
    const perSecond = buckets.map((b) => names.map((n) => `${n} ${b[n]}`).join(', '));
    console.log('running pages per second (mean over each second):');
    buckets.forEach((b, i) => {
      console.log(`  ${String(b.t).padStart(3)} s: ${perSecond[i]}`);
    });

    // 2. Politeness: one batch on one site, at most SITE_LIMIT at once.
    const polite = await submitAs(
      producer,
      prefix,
      queue,
      'polite',
      1,
      [{ goto: site.url('polite') }],
      SITE_ITEMS,
      { perSite: { maxConcurrent: SITE_LIMIT } },
    );
    const politeDeadline = Date.now() + 3 * 60_000;
    while (!(await results.progress(polite.batchId))?.done) {
      if (Date.now() > politeDeadline) throw new Error('the polite batch did not finish within 3 min');
      await sleep(200);
    }
    return {
      index,
      spanSeconds: (bothSmallDone - from) / 1000,
      shares: Object.fromEntries(names.map((n, i) => [n, shares[i]! / shares.reduce((a, b) => a + b, 0)])),
      firstWait: { small: firstWait('small'), heavy: firstWait('heavy') },
      buckets,
      politeMost: site.most.get('polite') ?? 0,
      politePages: site.pages.filter((p) => p.key === 'polite').length,
    };
  } finally {
    await queue.close();
    await Promise.all(hosts.map((h) => h.close()));
  }
}

// ---------------------------------------------------------------------------------------------
// 3. The no-op pipeline with and without fair share

async function noopCost(url: string, producer: FleetRedis) {
  const prefix = `bench-fair-noop-${Date.now()}`;
  const profiles = new RedisProfileStore(producer, prefix);
  for (let i = 0; i < 64; i++) await profiles.register({ id: `p${i}`, pool: POOL });
  const logger = createLogger({ name: 'bench', level: process.env.BENCH_LOG ?? 'silent', pretty: false });
  const worker = await startWorker(
    workerSettings({
      redisUrl: url,
      prefix,
      workerId: 'bench-noop',
      workerPort: 0,
      workerConcurrency: 16,
      artifactsDir: join(tmpdir(), 'fleet-bench-artifacts-unused'),
      multiloginApiUrl: 'http://127.0.0.1:9',
      multiloginLauncherUrl: 'http://127.0.0.1:9',
    }),
    logger,
    { driver: new InstantDriver(), provider: new MemoryProvider() },
  );
  const queue = createItemsQueue(producer, prefix);
  const results = new RedisResultStore(producer, prefix);
  const batches = new RedisBatchStore(producer, prefix);
  const plain: ItemQueue = new BullItemQueue(queue);
  const fair: ItemQueue = new FairItemQueue(queue, new RedisFairShare(producer, prefix), () => ({
    weight: 1,
    cap: 0,
  }));
  let seq = 0;
  const run = async (through: ItemQueue, n: number): Promise<number> => {
    const batchId = `noop${++seq}`;
    const t0 = Date.now();
    await new BatchService(batches, through).submit({
      batchId,
      owner: 'bench',
      pool: POOL,
      steps: [{ goto: 'https://example.test/' }],
      items: Array.from({ length: n }, (_, i) => ({ i })),
    });
    for (;;) {
      const p = await results.progress(batchId);
      if (p?.done) return n / ((Date.now() - t0) / 1000);
      if (Date.now() - t0 > 120_000) throw new Error(`no-op batch ${batchId} did not finish in 2 min`);
      await sleep(5);
    }
  };
  try {
    await run(plain, 500); // warm-up: JIT, scripts, leases
    await run(fair, 500);
    const rounds: { plain: number; fair: number }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const round = { plain: 0, fair: 0 };
      if (r % 2 === 0) {
        round.plain = await run(plain, NOOP_ITEMS);
        round.fair = await run(fair, NOOP_ITEMS);
      } else {
        round.fair = await run(fair, NOOP_ITEMS);
        round.plain = await run(plain, NOOP_ITEMS);
      }
      rounds.push(round);
      console.log(
        `no-op round ${r + 1}/${ROUNDS}: without fair share ${round.plain.toFixed(0)} items/s, with ${round.fair.toFixed(0)} items/s (${(round.fair / round.plain).toFixed(2)}x)`,
      );
    }
    const sorted = [...rounds].sort((a, b) => a.fair / a.plain - b.fair / b.plain);
    return { median: sorted[Math.floor(sorted.length / 2)]!, rounds };
  } finally {
    await queue.close();
    await worker.close(1000);
  }
}

// ---------------------------------------------------------------------------------------------

function fig(
  name: string,
  value: number,
  unit: string,
  goal: { atLeast: number } | { atMost: number },
  baseline?: number,
): BenchFigure {
  return figure({ name, value, unit, goal, ...(baseline === undefined ? {} : { baseline }) });
}

async function main(): Promise<void> {
  const started = Date.now();
  const server = await RedisServer.start();
  const producer = createRedis(server.url, { role: 'worker' });
  const site = await startSite();
  try {
    await waitReady(producer);
    const f = await fairnessRun(producer, server.url, site);
    const cost = await noopCost(server.url, producer);
    const wait = Math.max(f.firstWait.small, f.firstWait.heavy);
    const figures: BenchFigure[] = [
      fig(
        `Jain's fairness index against weights 1/1/2 while all three keys have work (${f.spanSeconds.toFixed(1)} s; running pages from the site's log; shares ${Object.entries(
          f.shares,
        )
          .map(([k, v]) => `${k} ${v.toFixed(3)}`)
          .join(', ')}, ideal 0.25/0.25/0.5)`,
        f.index,
        'index',
        { atLeast: 0.95 },
      ),
      fig(
        `Longest wait from a small key's submit to its first page, a 20,000-item batch running (small ${f.firstWait.small.toFixed(2)} s, heavy ${f.firstWait.heavy.toFixed(2)} s)`,
        wait,
        's',
        { atMost: 2 },
      ),
      fig(
        `Most pages of one site at once, perSite.maxConcurrent ${SITE_LIMIT}, ${HOSTS} worker processes x ${CONCURRENCY} slots, ${f.politePages} pages`,
        f.politeMost,
        'pages',
        { atMost: SITE_LIMIT },
      ),
      fig(
        `No-op pipeline items/s with fair share (vs without, same worker, alternating rounds, median-ratio round of ${ROUNDS}; ${NOOP_ITEMS} items, c=16)`,
        cost.median.fair,
        'items/s',
        { atLeast: 0.9 },
        cost.median.plain,
      ),
    ];
    reportBench('fairness', figures);
    const missed = figures.filter((x) => x.met === false);
    if (missed.length > 0) console.log(`goal not met: ${missed.map((x) => x.name).join('; ')}`);
    console.log(`fairness bench: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    producer.disconnect();
    await site.close();
    await server.close();
  }
}

await runBench('fairness', main, { watchdogMs: 15 * 60_000 });
