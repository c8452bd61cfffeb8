/**
 * Soak (`pnpm bench:soak`; not part of `pnpm bench`, not in CI): does anything grow that should not?
 *
 * A real stack of processes on a throwaway redis-server (`noeviction`): the API (batches submitted
 * over HTTP with an admin key), the launcher (local Chromium), and a worker process, with batch
 * retention shortened (RESULT_RETENTION_SEC, the event stream's length, the artifact sweep) so
 * batches expire while the soak runs.
 *
 * - Phase `noop`: SOAK_ITEMS no-op items in SOAK_BATCHES batches, submitted at SOAK_NOOP_RATE items/s
 *   (so the phase lasts long enough to judge), run by soak-worker.ts: the real worker with the
 *   pipeline bench's no-op driver and provider, WORKER_CONCURRENCY 16, 64 profiles.
 * - Phase `browser`: SOAK_BROWSER_ITEMS items (goto a local fixture page, an extract, a screenshot)
 *   in batches of SOAK_BROWSER_BATCH, run by the worker app itself (src/main.ts) over
 *   SOAK_PROFILES launcher profiles, warm profiles on, WORKER_CONCURRENCY = SOAK_PROFILES.
 *
 * Every SOAK_SAMPLE_MS: Redis used_memory, DBSIZE, XLEN of the event stream, the batch index's
 * size, BullMQ completed and failed set sizes, RSS and open fds of worker, launcher and API, the V8
 * heap in use of worker and API (their /metrics), Chromium processes (and their RSS), artifact bytes on disk, and the ten largest key families. Each phase's series are judged
 * over its last quarter (soak-series.ts: flat = slope × quarter within max(5% of the mean, a
 * floor)). After each phase the soak waits out the retention and compares the keys left with the
 * keys before it ("drained"). Everything goes to bench/results/soak.json: figures, verdicts and
 * every sample. Knobs (env): SOAK_ITEMS, SOAK_BATCHES, SOAK_NOOP_RATE, SOAK_BROWSER_ITEMS,
 * SOAK_BROWSER_BATCH, SOAK_PROFILES, SOAK_SAMPLE_MS, SOAK_RETENTION_SEC, SOAK_EVENTS_MAX_LEN,
 * SOAK_ONLY=noop|browser, SOAK_KEEP=1 (keep the run's directory: logs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Step } from '@fleet/contracts';
import { MultiloginClient } from '@fleet/multilogin';
import { createItemsQueue } from '@fleet/queue';
import {
  createRedis,
  Keys,
  RedisEventStream,
  RedisProfileStore,
  RedisResultStore,
  waitReady,
} from '@fleet/redis';
import {
  AppProcess,
  bearer,
  benchSetting,
  chromiumsUnder,
  ProcessFleet,
  REPO_ROOT,
  RedisServer,
  sleep,
  startFixtureSite,
  TEST_KEYS,
} from '@fleet/testing';
import { probe, type Sample } from './soak-probe.js';
import { writeSoakReport } from './soak-report.js';

const ITEMS = benchSetting('SOAK_ITEMS', 100_000);
const BATCHES = benchSetting('SOAK_BATCHES', 1000);
const NOOP_RATE = benchSetting('SOAK_NOOP_RATE', 250);
const BROWSER_ITEMS = benchSetting('SOAK_BROWSER_ITEMS', 5000);
const BROWSER_BATCH = benchSetting('SOAK_BROWSER_BATCH', 50);
const PROFILES = benchSetting('SOAK_PROFILES', 3);
const SAMPLE_MS = benchSetting('SOAK_SAMPLE_MS', 10_000);
const RETENTION_SEC = benchSetting('SOAK_RETENTION_SEC', 60);
const EVENTS_MAX_LEN = benchSetting('SOAK_EVENTS_MAX_LEN', 10_000);
const ONLY = process.env.SOAK_ONLY ?? '';
if (!['', 'noop', 'browser'].includes(ONLY)) throw new Error('SOAK_ONLY must be noop or browser');
const NOOP_CONCURRENCY = 16;
const NOOP_PROFILES = 64;
/** Unfinished batches at most: a worker slower than the rate makes the submitter wait, not a backlog. */
const WINDOW = { noop: 20, browser: 2 };
const PREFIX = 'soak';
const CREDENTIALS = { email: 'soak@fleet.local', password: 'soak-password' };
const KEY = TEST_KEYS.ops.key;

const dir = mkdtempSync(join(tmpdir(), 'fleet-soak-'));
const server = await RedisServer.start({ args: ['--maxmemory-policy', 'noeviction'] });
const redis = createRedis(server.url, { role: 'worker', name: 'soak' });
await waitReady(redis);
const queue = createItemsQueue(redis, PREFIX);
const results = new RedisResultStore(redis, PREFIX);
const profiles = new RedisProfileStore(redis, PREFIX);
const streamKey = new RedisEventStream(redis, PREFIX).streamKey;
const site = await startFixtureSite();
/** Retention shortened everywhere it is set (the API reads and writes batches, workers record). */
const retentionEnv = {
  RESULT_RETENTION_SEC: String(RETENTION_SEC),
  EVENTS_MAX_LEN: String(EVENTS_MAX_LEN),
};
const fleet = new ProcessFleet({
  dir,
  redisUrl: server.url,
  prefix: PREFIX,
  credentials: CREDENTIALS,
  apiKeys: [TEST_KEYS.ops],
  allowedTargets: `127.0.0.1:${site.port}`,
  logLevel: process.env.SOAK_LOG ?? 'warn',
  env: retentionEnv,
  readyMs: 120_000,
});
const samples: Sample[] = [];
const pids: Record<string, number> = {};
const metricsUrls: Record<string, string> = {};

async function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${fleet.url('api')}${path}`, {
    method,
    headers: { ...bearer(KEY), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

interface PhaseRun {
  name: string;
  items: number;
  batchSize: number;
  pool: string;
  steps: Step[];
  window: number;
  /** Items/s submitted at most (0: as fast as the window lets). */
  rate: number;
}

/** Samples every SAMPLE_MS while `work` runs; the phase's clock starts now. */
async function sampled(phase: string, done: () => number, work: Promise<void>): Promise<void> {
  const t0 = Date.now();
  let finished = false;
  const sampleOnce = async () => {
    const s = await probe({
      redis,
      queue,
      streamKey,
      batchIndexKey: new Keys(PREFIX).batchIndex,
      pids: () => pids,
      metrics: () => metricsUrls,
      launcherDir: fleet.launcherDir,
      artifactsDir: fleet.artifactsDir,
    });
    samples.push({ phase, t: (Date.now() - t0) / 1000, itemsDone: done(), ...s });
    const v = s.values;
    console.log(
      `[${phase} ${((Date.now() - t0) / 1000).toFixed(0)} s] items ${done()} · redis ${mib(v.redisUsedMemory)} MiB, ` +
        `${v.redisKeys} keys, xlen ${v.streamLength}, completed ${v.bullCompleted} · worker ${mib(v.workerRss)} MiB ` +
        `${v.workerFds} fds · launcher ${mib(v.launcherRss)} MiB · chromiums ${v.chromiums} · artifacts ${mib(v.artifactsBytes)} MiB`,
    );
  };
  const loop = (async () => {
    await sampleOnce();
    while (!finished) {
      const next = Date.now() + SAMPLE_MS;
      while (!finished && Date.now() < next) await sleep(Math.min(250, next - Date.now()));
      if (!finished) await sampleOnce();
    }
  })();
  try {
    await work;
  } finally {
    finished = true;
    await loop;
  }
  await sampleOnce();
}

const mib = (bytes: number | undefined) => ((bytes ?? 0) / 1024 / 1024).toFixed(1);

/** Submits the phase's batches over the API (paced, windowed) and waits for every one to finish. */
async function submitAll(run: PhaseRun, counter: { done: number }): Promise<void> {
  const open = new Map<string, number>();
  const t0 = Date.now();
  let submitted = 0;
  const settle = async () => {
    for (const [id, total] of open) {
      const progress = await results.progress(id);
      // An expired record (null) finished long ago.
      if (progress === null || progress.done) {
        open.delete(id);
        counter.done += total;
        if (progress && progress.failed > 0) console.warn(`batch ${id}: ${progress.failed} failed`);
      }
    }
  };
  while (submitted < run.items) {
    const n = Math.min(run.batchSize, run.items - submitted);
    if (run.rate > 0) await sleep(Math.max(0, t0 + (submitted / run.rate) * 1000 - Date.now()));
    while (open.size >= run.window) {
      await settle();
      if (open.size >= run.window) await sleep(100);
    }
    const batch = await api('POST', '/v1/batches', {
      name: `${run.name}-${submitted}`,
      pool: run.pool,
      steps: run.steps,
      items: Array.from({ length: n }, (_, i) => ({ i: submitted + i })),
    });
    open.set(String(batch.id), n);
    submitted += n;
    await settle();
  }
  while (open.size > 0) {
    await settle();
    if (open.size > 0) await sleep(200);
  }
}

/** After a phase: wait out the retention (and a sweep) and sample, so the drain shows in the file. */
async function drain(phase: string): Promise<void> {
  await sampled(`${phase}-drain`, () => 0, sleep(RETENTION_SEC * 1000 + 3 * SAMPLE_MS));
}

async function noopPhase(): Promise<void> {
  for (let i = 0; i < NOOP_PROFILES; i++)
    await profiles.register({ id: `noop-${i}`, pool: 'noop', providerIds: {} });
  const port = await fleet.freePort();
  const env = {
    ...fleet.envFor('worker', port),
    WORKER_ID: 'soak-noop',
    WORKER_CONCURRENCY: String(NOOP_CONCURRENCY),
  };
  const worker = new AppProcess(
    'worker-noop',
    process.execPath,
    ['--import', 'tsx', 'bench/soak-worker.ts'],
    {
      cwd: join(REPO_ROOT, 'apps', 'worker'),
      env,
      logDir: fleet.logDir,
      app: 'worker',
    },
  );
  fleet.apps.push(worker);
  await worker.waitHttp(`http://127.0.0.1:${port}/ready`, 120_000);
  pids.worker = worker.pid;
  metricsUrls.worker = `http://127.0.0.1:${port}/metrics`;
  const counter = { done: 0 };
  const run: PhaseRun = {
    name: 'noop',
    items: ITEMS,
    batchSize: Math.ceil(ITEMS / BATCHES),
    pool: 'noop',
    steps: [{ goto: `${site.url}/` }],
    window: WINDOW.noop,
    rate: NOOP_RATE,
  };
  await sampled('noop', () => counter.done, submitAll(run, counter));
  await drain('noop');
  await worker.stop(30_000);
  delete pids.worker;
  delete metricsUrls.worker;
}

async function browserPhase(): Promise<void> {
  const client = new MultiloginClient({
    apiUrl: fleet.url('launcher'),
    launcherUrl: fleet.url('launcher'),
    ...CREDENTIALS,
  });
  const [folder] = await client.listFolders();
  for (let i = 0; i < PROFILES; i++) {
    const id = await client.createProfile({ name: `soak-${i}`, folderId: folder!.id });
    await profiles.register({ id, pool: 'default', providerIds: { folderId: folder!.id } });
  }
  const worker = await fleet.start('worker', {
    env: { WORKER_ID: 'soak-browser', WORKER_CONCURRENCY: String(PROFILES), WARM_IDLE_MS: '30000' },
  });
  pids.worker = worker.pid;
  metricsUrls.worker = `${fleet.url('worker')}/metrics`;
  const counter = { done: 0 };
  const run: PhaseRun = {
    name: 'browser',
    items: BROWSER_ITEMS,
    batchSize: BROWSER_BATCH,
    pool: 'default',
    steps: [
      { goto: `${site.url}/?item={{i}}` },
      { extract: { name: 'heading', selector: '#heading' } },
      { screenshot: { name: 'page' } },
    ],
    window: WINDOW.browser,
    rate: 0,
  };
  await sampled('browser', () => counter.done, submitAll(run, counter));
  await drain('browser');
  await worker.stop(30_000);
  delete pids.worker;
  delete metricsUrls.worker;
}

async function main(): Promise<void> {
  const launcher = await fleet.start('launcher', { env: { LAUNCHER_STOP_TIMEOUT_MS: '3000' } });
  pids.launcher = launcher.pid;
  const sweepMs = String(Math.min(SAMPLE_MS, RETENTION_SEC * 1000));
  const apiProc = await fleet.start('api', {
    env: {
      API_RATE_LIMIT_PER_MINUTE: '0',
      ARTIFACT_SWEEP_EVERY_MS: sweepMs,
      ARTIFACT_SWEEP_MIN_AGE_MS: sweepMs,
    },
  });
  pids.api = apiProc.pid;
  metricsUrls.api = `${fleet.url('api')}/metrics`;
  const started = Date.now();
  if (ONLY !== 'browser') await noopPhase();
  if (ONLY !== 'noop') await browserPhase();
  writeSoakReport(samples, {
    items: ONLY === 'browser' ? 0 : ITEMS,
    batches: ONLY === 'browser' ? 0 : BATCHES,
    noopRate: NOOP_RATE,
    browserItems: ONLY === 'noop' ? 0 : BROWSER_ITEMS,
    browserBatch: BROWSER_BATCH,
    profiles: PROFILES,
    sampleMs: SAMPLE_MS,
    retentionSec: RETENTION_SEC,
    eventsMaxLen: EVENTS_MAX_LEN,
    minutes: (Date.now() - started) / 60_000,
  });
}

let code = 0;
try {
  await main();
} catch (error) {
  console.error('soak failed:', error);
  code = 1;
}
await fleet.stop({ worker: 30_000, launcher: 15_000 }).catch(() => {});
await fleet.kill();
const left = chromiumsUnder(dir);
if (left.length > 0) {
  console.warn(`WARNING: ${left.length} Chromium process(es) left under ${dir}: killing them`);
  for (const pid of left) process.kill(pid, 'SIGKILL');
}
await queue.close();
redis.disconnect();
await site.close();
await server.close();
if (process.env.SOAK_KEEP) console.log(`kept ${dir}`);
else rmSync(dir, { recursive: true, force: true });
process.exit(code);
