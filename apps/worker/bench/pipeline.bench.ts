/**
 * Pipeline benchmarks (apps/worker), all in one run on a throwaway redis-server:
 *
 * 1. Items/s of the Fleet worker (`startWorker`: real BullMQ, leases, claims, results, events) with
 *    core's InstantDriver and MemoryProvider (no browser), against a raw BullMQ no-op Worker on the
 *    same server, same concurrency, same job payloads and job options. Timed from the first enqueue to
 *    the last completion (Fleet: the `at` of its `batch.completed` event; raw: the last `completed`
 *    event of the worker). Each round runs both back to back (order alternating), so load from
 *    elsewhere on the machine hits both alike; the round with the median ratio is reported.
 *    Goal >= 0.7x. Around each timed run, CONFIG RESETSTAT and INFO commandstats give Redis's command
 *    time per item (usec summed over all commands, enqueue included; the bench's own event reads
 *    left out), Fleet's against raw BullMQ's per job: goal <= 2x; INFO cpu gives redis-server's CPU
 *    per item beside it.
 * 2. Browser items/s through the launcher (real Chromium, local fixture pages) with warm profiles
 *    on against off (WARM_IDLE_MS=0), 3 profiles, concurrency 3. Goal: warm >= 5x cold.
 * 3. The step interpreter (second edition: nested steps, paths, counters, data budget) against the
 *    first edition's flat runner (a copy below), on the first edition's steps (goto, waitFor,
 *    extract, screenshot) on a local page in real Chromium, one attached session, the same leaf
 *    actions: each round alternates BENCH_STEP_RUNS runs of each runner one by one and keeps each
 *    runner's median run; the round with the median ratio is reported. Goal: <= 1.05x the first edition's time.
 *
 * Figures print as a table and go to bench/results/pipeline.json (repository root). Knobs (env):
 * BENCH_CONCURRENCY, BENCH_ITEMS, BENCH_ROUNDS, BENCH_BROWSER_ITEMS, BENCH_STEP_ROUNDS, BENCH_STEP_RUNS,
 * BENCH_ONLY=noop|browser|steps (a partial run keeps the other sections' figures in the file),
 * BENCH_RUN_TIMEOUT_MS (default 5 min), BENCH_COMMANDS=1 (print each no-op run's commands per item and both
 * processes' CPU), BENCH_CPU_PROFILE=<dir> (a V8 CPU profile of each side's last no-op run),
 * BENCH_LOG=<pino level> (the worker's logs; silent by default), BENCH_TRACING=1 (the Fleet side traced,
 * to an OTLP receiver in this process; the figures then measure tracing on, not the pipeline).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FleetEvent, type ItemJob, type Step, stepKind } from '@fleet/contracts';
import { BatchService, type LoggerPort, planBatch } from '@fleet/core';
import { InstantDriver, MemoryProvider } from '@fleet/core/testing';
import { type RunningLauncher, startLauncher } from '@fleet/launcher';
import { createLogger } from '@fleet/logger';
import { MultiloginClient } from '@fleet/multilogin';
import { BullItemQueue, createItemsQueue, enqueueItems, ITEMS_QUEUE, type ItemsQueue } from '@fleet/queue';
import {
  createRedis,
  type FleetRedis,
  RedisBatchStore,
  RedisEventStream,
  RedisProfileStore,
  RedisResultStore,
  waitReady,
} from '@fleet/redis';
import { startTracing, untraced } from '@fleet/telemetry';
import {
  type BenchFigure,
  benchSetting,
  chromiumsUnder,
  type FixtureSite,
  figure,
  percentile,
  REPO_ROOT,
  RedisServer,
  reportBench,
  sleep,
  startFixtureSite,
  startOtlpCollector,
} from '@fleet/testing';
import { FileArtifactStore } from '@fleet/webdriver/artifacts';
import {
  attachSession,
  endSession,
  type RunContext,
  RunLimits,
  runStep,
  runSteps,
  type StepContext,
  stepTimeoutOf,
  toDomainError,
} from '@fleet/webdriver/bench-support';
import { startTestBrowser } from '@fleet/webdriver/test-browser';
import { Worker } from 'bullmq';
import { type WorkerSettings, workerSettings } from '../src/config.js';
import { type RunningWorker, startWorker } from '../src/worker.js';
import { runBench } from './run-bench.js';

/**
 * Items run at once by both the Fleet worker and the raw BullMQ worker. 16 keeps both saturated
 * (raw BullMQ gains nothing from 32 or 50 on 2 cores; the Fleet/raw ratio was about the same at 4,
 * 16 and 50, only noisier at 50) and leaves the pool of 64 profiles four times what is leased.
 */
const CONCURRENCY = benchSetting('BENCH_CONCURRENCY', 16);
const ITEMS = benchSetting('BENCH_ITEMS', 3000);
const ROUNDS = benchSetting('BENCH_ROUNDS', 5);
const WARMUP_ITEMS = 500;
/** Enough profiles that leasing never waits (warm reuse keeps at most CONCURRENCY of them). */
const NOOP_PROFILES = 64;
const BROWSER_ITEMS = benchSetting('BENCH_BROWSER_ITEMS', 30);
const BROWSER_CONCURRENCY = 3;
const BROWSER_PROFILES = 3;
const STEP_ROUNDS = benchSetting('BENCH_STEP_ROUNDS', 15);
const STEP_RUNS = benchSetting('BENCH_STEP_RUNS', 20);
/** Any one timed run (or warm-up) longer than this fails the benchmark. */
const RUN_TIMEOUT_MS = benchSetting('BENCH_RUN_TIMEOUT_MS', 5 * 60_000);
const CLOSE_TIMEOUT_MS = 30_000;
const POOL = 'default';
const EMAIL = 'bench@fleet.local';
const PASSWORD = 'bench-password';

const logger: LoggerPort = createLogger({
  name: 'bench',
  level: process.env.BENCH_LOG ?? 'silent',
  pretty: false,
});

/** A fresh key prefix (Keys wants /^[A-Za-z0-9_-]{1,64}$/). */
const freshPrefix = (label: string) => `bench-${label}-${randomBytes(4).toString('hex')}`;

/** Rejects with a clear message when `work` takes longer than `ms`. */
async function within<T>(label: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** One Fleet deployment's view of Redis under one prefix: what the API side uses to submit and watch. */
class Side {
  readonly batches: RedisBatchStore;
  readonly results: RedisResultStore;
  readonly events: RedisEventStream;
  readonly profiles: RedisProfileStore;
  readonly queue: ItemsQueue;
  private seq = 0;

  constructor(
    readonly redis: FleetRedis,
    readonly prefix: string,
  ) {
    this.batches = new RedisBatchStore(redis, prefix);
    this.results = new RedisResultStore(redis, prefix);
    this.events = new RedisEventStream(redis, prefix);
    this.profiles = new RedisProfileStore(redis, prefix);
    this.queue = createItemsQueue(redis, prefix);
  }

  nextBatchId(): string {
    return `b${++this.seq}x${Date.now()}`;
  }

  /** Submits a batch; answers [batch id, epoch ms just before the first enqueue]. */
  async submit(steps: Step[], n: number): Promise<[string, number]> {
    const service = new BatchService(this.batches, new BullItemQueue(this.queue));
    const batchId = this.nextBatchId();
    const items = Array.from({ length: n }, (_, i) => ({ i }));
    const t0 = Date.now();
    await service.submit({ batchId, pool: POOL, steps, items });
    return [batchId, t0];
  }

  private async lastEventId(): Promise<string> {
    const last = await this.redis.xrevrange(this.events.streamKey, '+', '-', 'COUNT', 1);
    return last[0]?.[0] ?? '-';
  }

  /**
   * Submit, then wait for the batch's `batch.completed` event. Progress is polled (one cheap HMGET
   * every 10 ms); the end time is the event's own `at`, so the poll interval does not blur it.
   */
  async runBatch(steps: Step[], n: number): Promise<{ seconds: number; batchId: string; event: FleetEvent }> {
    const after = await this.lastEventId();
    const [batchId, t0] = await this.submit(steps, n);
    // Stop polling once the run is over time (the caller's `within` reports it).
    const deadline = Date.now() + RUN_TIMEOUT_MS + 1000;
    while (Date.now() < deadline) {
      const progress = await this.results.progress(batchId);
      if (progress?.done) {
        const done = (await this.events.readAfter(after, 1_000_000)).find(
          (e) => e.type === 'batch.completed' && e.batchId === batchId,
        );
        if (done) {
          const data = done.data as { total: number; completed: number; failed: number };
          if (data.completed !== n || data.failed !== 0) {
            throw new Error(`batch ${batchId}: ${JSON.stringify(data)} (expected ${n} completed, 0 failed)`);
          }
          return { seconds: (done.at - t0) / 1000, batchId, event: done };
        }
      }
      await sleep(10);
    }
    throw new Error(`batch ${batchId}: no batch.completed within ${RUN_TIMEOUT_MS} ms`);
  }

  async registerProfiles(n: number, providerIds: Record<string, string> = {}, ids?: string[]) {
    for (let i = 0; i < n; i++) {
      await this.profiles.register({ id: ids?.[i] ?? `p${i}`, pool: POOL, providerIds });
    }
  }
}

function settings(redisUrl: string, prefix: string, overrides: Partial<WorkerSettings>): WorkerSettings {
  return workerSettings({
    redisUrl,
    prefix,
    workerPort: 0,
    workerConcurrency: CONCURRENCY,
    workerId: `bench-worker-${prefix}`,
    warmIdleMs: 30_000,
    artifactsDir: join(tmpdir(), 'fleet-bench-artifacts-unused'),
    leaseTtlMs: 30_000,
    profileQuarantineMs: 60_000,
    // The production defaults, equal to BullMQ's lockDuration/stalledInterval defaults that the
    // raw worker gets: both sides renew job locks and check stalled jobs alike.
    jobLockMs: 30_000,
    shutdownGraceMs: 10_000,
    resultRetentionSec: 3600,
    reclaimRestMs: 500,
    multiloginApiUrl: 'http://127.0.0.1:9',
    multiloginLauncherUrl: 'http://127.0.0.1:9',
    ...overrides,
  });
}

/** Everything started, so `finally` can close it whatever failed. */
const open = {
  server: undefined as RedisServer | undefined,
  connections: [] as FleetRedis[],
  queues: [] as ItemsQueue[],
  workers: [] as RunningWorker[],
  rawWorkers: [] as Worker[],
  launcher: undefined as RunningLauncher | undefined,
  site: undefined as FixtureSite | undefined,
  dataDir: undefined as string | undefined,
  tracing: undefined as (() => Promise<void>) | undefined,
};

function connection(url: string): FleetRedis {
  const redis = createRedis(url, { role: 'worker' });
  open.connections.push(redis);
  return redis;
}

function side(redis: FleetRedis, prefix: string): Side {
  const s = new Side(redis, prefix);
  open.queues.push(s.queue);
  return s;
}

async function fleetWorker(s: WorkerSettings, parts: Parameters<typeof startWorker>[2] = {}) {
  const worker = await startWorker(s, logger, parts);
  open.workers.push(worker);
  return worker;
}

async function closeWorker(worker: RunningWorker): Promise<void> {
  await within('closing a worker', CLOSE_TIMEOUT_MS, worker.close(1000));
  open.workers.splice(open.workers.indexOf(worker), 1);
}

// ---------------------------------------------------------------------------------------------
// 1. Fleet worker (no-op driver/provider) vs raw BullMQ no-op worker

const NOOP_STEPS: Step[] = [{ goto: 'https://example.test/' }];

interface NoopRound {
  raw: number;
  fleet: number;
  /** Redis command time per item (INFO commandstats, usec summed over all commands). */
  rawUs: number;
  fleetUs: number;
  /** redis-server CPU per item (INFO cpu, user + sys: command time plus network I/O), usec. */
  rawCpuUs: number;
  fleetCpuUs: number;
}

/** Per-command usec and calls of one timed run (INFO commandstats after CONFIG RESETSTAT). */
type CommandStats = Map<string, { calls: number; usec: number }>;

/**
 * Commands the bench itself sends while a Fleet batch runs and the worker never does (reading the
 * events at the end; the stats commands): left out of the Fleet side's cost. The progress poll
 * (one HMGET per 10 ms) stays in: it is a few hundred microseconds per run.
 */
const BENCH_ONLY_COMMANDS = new Set(['xrange', 'xrevrange', 'info', 'config']);

async function commandStats(redis: FleetRedis): Promise<CommandStats> {
  const text = (await redis.info('commandstats')) as string;
  const stats: CommandStats = new Map();
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    stats.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
  }
  return stats;
}

/** BENCH_CPU_PROFILE=<dir>: a V8 CPU profile of this process per timed run (the last run of each side is kept). */
async function startProfile(): Promise<{ stop(file: string): Promise<void> }> {
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))),
    );
  await post('Profiler.enable');
  await post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

async function redisCpuUs(redis: FleetRedis): Promise<number> {
  const text = (await redis.info('cpu')) as string;
  const of = (name: string) => Number(text.match(new RegExp(`^${name}:([\\d.]+)`, 'm'))?.[1] ?? 0);
  return (of('used_cpu_user') + of('used_cpu_sys')) * 1e6;
}

/**
 * Runs `work` (n items) between CONFIG RESETSTAT and INFO commandstats; answers its items/s and
 * Redis command time and CPU per item. BENCH_COMMANDS=1 prints the commands behind it.
 */
async function measured(
  redis: FleetRedis,
  label: string,
  n: number,
  work: () => Promise<number>,
): Promise<{ rate: number; us: number; cpuUs: number }> {
  await redis.config('RESETSTAT');
  const cpu0 = await redisCpuUs(redis);
  const profiler = process.env.BENCH_CPU_PROFILE ? await startProfile() : undefined;
  const node0 = process.cpuUsage();
  const t0 = performance.now();
  const rate = await work();
  const wallUs = (performance.now() - t0) * 1000;
  const node = process.cpuUsage(node0);
  if (profiler)
    await profiler.stop(join(process.env.BENCH_CPU_PROFILE!, `${label.replace(/\W+/g, '-')}.cpuprofile`));
  const cpu1 = await redisCpuUs(redis);
  const stats = await commandStats(redis);
  let usec = 0;
  for (const [name, s] of stats) if (!BENCH_ONLY_COMMANDS.has(name)) usec += s.usec;
  if (process.env.BENCH_COMMANDS) {
    const rows = [...stats].sort((a, b) => b[1].usec - a[1].usec);
    console.log(
      `${label}: ${(usec / n).toFixed(1)} us/item; bench process CPU ${((node.user + node.system) / n).toFixed(1)} us/item ` +
        `(${(((node.user + node.system) / wallUs) * 100).toFixed(0)}% of a core), redis ${(((cpu1 - cpu0) / wallUs) * 100).toFixed(0)}%; ` +
        rows.map(([c, s]) => `${c} ${(s.calls / n).toFixed(2)}x ${(s.usec / n).toFixed(1)}us`).join(', '),
    );
  }
  return { rate, us: usec / n, cpuUs: (cpu1 - cpu0) / n };
}

interface NoopResult {
  rounds: NoopRound[];
  stats: { starts: number; warmReuses: number };
}

async function noopBench(url: string, producer: FleetRedis): Promise<NoopResult> {
  // Fleet side: its own prefix, NOOP_PROFILES profiles, a worker with the no-op parts.
  const fleet = side(producer, freshPrefix('noop-fleet'));
  await fleet.registerProfiles(NOOP_PROFILES);
  const worker = await fleetWorker(settings(url, fleet.prefix, {}), {
    driver: new InstantDriver(),
    provider: new MemoryProvider(),
  });

  // Raw side: same queue name and job options (createItemsQueue), same payloads (planBatch), its
  // own prefix and connection, the same concurrency.
  const raw = side(producer, freshPrefix('noop-raw'));
  const rawConnection = connection(url);
  await waitReady(rawConnection);
  const rawWorker = new Worker(ITEMS_QUEUE, async () => null, {
    connection: rawConnection,
    concurrency: CONCURRENCY,
    prefix: raw.prefix,
  });
  open.rawWorkers.push(rawWorker);
  rawWorker.on('error', (err) => console.error('raw worker error:', err));
  let completed = 0;
  let target = 0;
  let onTarget: ((at: number) => void) | null = null;
  rawWorker.on('completed', () => {
    if (++completed === target) onTarget?.(Date.now());
  });
  await rawWorker.waitUntilReady();

  const rawRun = async (n: number): Promise<number> => {
    // The same payloads BatchService would enqueue for a Fleet batch of n items.
    const plan = planBatch({
      batchId: raw.nextBatchId(),
      pool: POOL,
      steps: NOOP_STEPS,
      items: Array.from({ length: n }, (_, i) => ({ i })),
    });
    if (!plan.ok) throw new Error(`could not plan the raw batch: ${JSON.stringify(plan.problems)}`);
    const jobs: ItemJob[] = plan.jobs;
    completed = 0;
    target = n;
    const finished = new Promise<number>((resolve) => {
      onTarget = resolve;
    });
    const t0 = Date.now();
    // Never traced (BENCH_TRACING): the baseline stays raw BullMQ's.
    await untraced(() => enqueueItems(raw.queue, jobs));
    const t1 = await finished;
    onTarget = null;
    return n / ((t1 - t0) / 1000);
  };
  const fleetRun = async (n: number): Promise<number> => {
    const { seconds } = await fleet.runBatch(NOOP_STEPS, n);
    return n / seconds;
  };

  // Warm-up (untimed): JIT, script loading, connection pools, the first leases.
  await within('no-op warm-up (raw)', RUN_TIMEOUT_MS, rawRun(WARMUP_ITEMS));
  await within('no-op warm-up (Fleet)', RUN_TIMEOUT_MS, fleetRun(WARMUP_ITEMS));

  const result: NoopResult = { rounds: [], stats: { starts: 0, warmReuses: 0 } };
  for (let r = 0; r < ROUNDS; r++) {
    const round: NoopRound = { raw: 0, fleet: 0, rawUs: 0, fleetUs: 0, rawCpuUs: 0, fleetCpuUs: 0 };
    const runRaw = async () => {
      const m = await measured(producer, 'raw BullMQ', ITEMS, () =>
        within(`no-op round ${r + 1} (raw BullMQ)`, RUN_TIMEOUT_MS, rawRun(ITEMS)),
      );
      [round.raw, round.rawUs, round.rawCpuUs] = [m.rate, m.us, m.cpuUs];
    };
    const runFleet = async () => {
      const m = await measured(producer, 'Fleet worker', ITEMS, () =>
        within(`no-op round ${r + 1} (Fleet worker)`, RUN_TIMEOUT_MS, fleetRun(ITEMS)),
      );
      [round.fleet, round.fleetUs, round.fleetCpuUs] = [m.rate, m.us, m.cpuUs];
    };
    if (r % 2 === 0) {
      await runRaw();
      await runFleet();
    } else {
      await runFleet();
      await runRaw();
    }
    result.rounds.push(round);
    console.log(
      `no-op round ${r + 1}/${ROUNDS}: raw BullMQ ${round.raw.toFixed(0)} items/s, ` +
        `Fleet worker ${round.fleet.toFixed(0)} items/s (${(round.fleet / round.raw).toFixed(2)}x); ` +
        `Redis per item: raw ${round.rawUs.toFixed(1)} us, Fleet ${round.fleetUs.toFixed(1)} us ` +
        `(${(round.fleetUs / round.rawUs).toFixed(2)}x); redis-server CPU per item: raw ` +
        `${round.rawCpuUs.toFixed(1)} us, Fleet ${round.fleetCpuUs.toFixed(1)} us`,
    );
  }
  result.stats = { starts: worker.sessions.stats.starts, warmReuses: worker.sessions.stats.warmReuses };
  await closeWorker(worker);
  await within('closing the raw worker', CLOSE_TIMEOUT_MS, rawWorker.close());
  open.rawWorkers.splice(open.rawWorkers.indexOf(rawWorker), 1);
  return result;
}

// ---------------------------------------------------------------------------------------------
// 2. Browser items/s, warm profiles on vs off

interface BrowserRun {
  itemsPerSec: number;
  seconds: number;
  starts: number;
  warmReuses: number;
  /** Median of the items' own durationMs (lease → recorded), from their results. */
  itemMs: number;
  /** Attempts of all items (n when nothing was retried). */
  attempts: number;
}

async function browserBench(
  url: string,
  producer: FleetRedis,
): Promise<{ cold: BrowserRun; warm: BrowserRun }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fleet-bench-pipeline-'));
  open.dataDir = dataDir;
  const site = await startFixtureSite();
  open.site = site;
  const launcher = await startLauncher({
    dataDir: join(dataDir, 'launcher'),
    email: EMAIL,
    password: PASSWORD,
    stopTimeoutMs: 3000,
  });
  open.launcher = launcher;
  const client = new MultiloginClient({
    apiUrl: launcher.url,
    launcherUrl: launcher.url,
    email: EMAIL,
    password: PASSWORD,
  });
  const [folder] = await client.listFolders();
  if (!folder) throw new Error('the launcher has no folder');
  const ids: string[] = [];
  for (let i = 0; i < BROWSER_PROFILES; i++) {
    ids.push(await client.createProfile({ name: `bench-${i}`, folderId: folder.id }));
  }
  const steps: Step[] = [{ goto: `${site.url}/` }, { extract: { name: 'h', selector: '#heading' } }];

  const run = async (key: string, label: string, warmIdleMs: number, n: number): Promise<BrowserRun> => {
    const s = side(producer, freshPrefix(`browser-${key}`));
    await s.registerProfiles(BROWSER_PROFILES, { folderId: folder.id }, ids);
    const worker = await fleetWorker(
      settings(url, s.prefix, {
        workerConcurrency: BROWSER_CONCURRENCY,
        warmIdleMs,
        artifactsDir: join(dataDir, 'artifacts'),
        leaseTtlMs: 15_000,
        // The fixture site is on loopback: let it through the private-target guard.
        allowedTargets: [`127.0.0.1:${site.port}`],
        multiloginApiUrl: launcher.url,
        multiloginLauncherUrl: launcher.url,
        multiloginEmail: EMAIL,
        multiloginPassword: PASSWORD,
      }),
    );
    try {
      // Steady state: one untimed item per slot first, so the warm run is not timed while it is
      // still starting its browsers (both runs get the same treatment).
      await within(
        `browser run "${label}" (steady-state warm-up)`,
        RUN_TIMEOUT_MS,
        s.runBatch(steps, BROWSER_CONCURRENCY),
      );
      const before = { ...worker.sessions.stats };
      const { seconds, batchId } = await within(
        `browser run "${label}" (${n} items)`,
        RUN_TIMEOUT_MS,
        s.runBatch(steps, n),
      );
      const durations: number[] = [];
      let attempts = 0;
      for (let index = 0; index < n; index++) {
        const result = await s.results.get({ batchId, index });
        if (result?.data.h !== 'Products') {
          throw new Error(`browser run "${label}": unexpected result ${JSON.stringify(result)}`);
        }
        durations.push(result.durationMs);
        attempts += result.attempts;
      }
      const starts = worker.sessions.stats.starts - before.starts;
      const warmReuses = worker.sessions.stats.warmReuses - before.warmReuses;
      const itemsPerSec = n / seconds;
      const itemMs = percentile(durations, 50);
      console.log(
        `browser ${label}: ${n} items in ${seconds.toFixed(2)} s = ${itemsPerSec.toFixed(2)} items/s; ` +
          `sessions.stats starts=${starts} warmReuses=${warmReuses}; item time median ${itemMs} ms; ` +
          `attempts ${attempts}`,
      );
      return { itemsPerSec, seconds, starts, warmReuses, itemMs, attempts };
    } finally {
      await closeWorker(worker);
    }
  };

  // Untimed warm-up: the first start of each profile creates its user-data-dir and loads Chromium
  // from disk; neither run should pay that alone.
  await run('warmup', 'warm-up', 0, BROWSER_PROFILES);
  const cold = await run('cold', 'cold (WARM_IDLE_MS=0)', 0, BROWSER_ITEMS);
  const warm = await run('warm', 'warm (WARM_IDLE_MS=30000)', 30_000, BROWSER_ITEMS);
  return { cold, warm };
}

// ---------------------------------------------------------------------------------------------

async function closeAll(): Promise<boolean> {
  let clean = true;
  const step = async (label: string, work: () => Promise<unknown>) => {
    try {
      await within(label, CLOSE_TIMEOUT_MS, work());
    } catch (error) {
      clean = false;
      console.error(`cleanup: ${label} failed:`, error);
    }
  };
  for (const w of [...open.workers]) await step('closing a Fleet worker', () => w.close(1000));
  for (const w of [...open.rawWorkers]) await step('closing the raw worker', () => w.close(true));
  for (const q of open.queues) await step('closing a queue', () => q.close());
  if (open.launcher) await step('closing the launcher', () => open.launcher!.close());
  if (open.site) await step('closing the fixture site', () => open.site!.close());
  for (const c of open.connections) c.disconnect();
  if (open.server) await step('stopping redis-server', () => open.server!.close());
  if (open.tracing) await step('stopping tracing', open.tracing);
  if (open.dataDir) {
    // Give Chromium helpers a moment to follow their browser out.
    let left = chromiumsUnder(open.dataDir);
    for (let i = 0; i < 20 && left.length > 0; i++) {
      await sleep(100);
      left = chromiumsUnder(open.dataDir);
    }
    if (left.length > 0) {
      console.warn(
        `WARNING: ${left.length} Chromium process(es) still running under ${open.dataDir} ` +
          `after the launcher closed: ${left.join(', ')} (killing them)`,
      );
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
    rmSync(open.dataDir, { recursive: true, force: true });
  }
  return clean;
}

/**
 * The first edition's runSteps (before nested steps), kept as the interpreter's baseline: a flat
 * loop, each step raced against its timeout + 1 s. Only successful runs are timed, so its failure
 * path keeps the conversion and leaves out the failure screenshot.
 */
async function firstEditionRunSteps(steps: Step[], ctx: RunContext): Promise<void> {
  for (const [index, step] of steps.entries()) {
    const kind = stepKind(step);
    const timeoutMs = stepTimeoutOf(step, ctx.stepTimeoutMs);
    try {
      await ctx.limits.race(timeoutMs + 1_000, (signal) => {
        const stepContext: StepContext = { ...ctx, signal, timeoutMs };
        return runStep(step, stepContext);
      });
    } catch (error) {
      throw toDomainError(error, { index, kind, timeoutMs });
    }
  }
}

interface StepRound {
  first: number;
  second: number;
}

/** Section 3: ms per run (median of a round) of the first edition's steps through each runner, on one session. */
async function stepsBench(): Promise<StepRound[]> {
  const site = await startFixtureSite();
  const browser = await startTestBrowser().catch(async (error: unknown) => {
    await site.close();
    throw error;
  });
  const dir = mkdtempSync(join(tmpdir(), 'fleet-bench-steps-'));
  const limits = new RunLimits(Date.now() + 30 * 60_000, new AbortController().signal);
  const stepTimeoutMs = 15_000;
  try {
    const session = await attachSession(browser.endpoint, {
      limits,
      retryForMs: 5_000,
      stepTimeoutMs,
      logLevel: 'silent',
    });
    try {
      const store = new FileArtifactStore(dir);
      const steps: Step[] = [
        { goto: `${site.url}/` },
        { waitFor: { selector: '#heading' } },
        { extract: { name: 'heading', selector: '#heading' } },
        { extract: { name: 'names', selector: '.product .name', all: true } },
        { extract: { name: 'skus', selector: '.product', attr: 'data-sku', all: true } },
        { screenshot: { name: 'page' } },
      ];
      const context = (): RunContext => ({
        session,
        limits,
        signal: limits.signal,
        stepTimeoutMs,
        itemId: 'bench.0',
        store,
        guard: undefined,
        data: new Map(),
        artifacts: new Map(),
        // No step fails here: the evidence settings are never read.
        evidence: { policy: undefined, lastAttempt: true },
      });
      const timeRun = async (runner: (s: Step[], c: RunContext) => Promise<unknown>): Promise<number> => {
        const ctx = context();
        const started = performance.now();
        await runner(steps, ctx);
        const ms = performance.now() - started;
        if ((ctx.data.get('names') as string[]).length !== 3) throw new Error('steps bench: wrong data');
        return ms;
      };
      for (let i = 0; i < 5; i++) {
        await timeRun(firstEditionRunSteps);
        await timeRun(runSteps);
      }
      // Runs alternate one by one (which goes first alternates too), so a load change on this
      // shared machine hits both runners alike; a round keeps each runner's median run.
      const rounds: StepRound[] = [];
      for (let r = 0; r < STEP_ROUNDS; r++) {
        const first: number[] = [];
        const second: number[] = [];
        for (let i = 0; i < STEP_RUNS; i++) {
          if ((r + i) % 2 === 0) {
            first.push(await timeRun(firstEditionRunSteps));
            second.push(await timeRun(runSteps));
          } else {
            second.push(await timeRun(runSteps));
            first.push(await timeRun(firstEditionRunSteps));
          }
        }
        rounds.push({ first: percentile(first, 50), second: percentile(second, 50) });
      }
      return rounds;
    } finally {
      await endSession(session);
    }
  } finally {
    limits.dispose();
    await browser.close();
    await site.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A partial run (BENCH_ONLY) keeps the figures of the sections it did not run. */
function withEarlierFigures(figures: BenchFigure[]): BenchFigure[] {
  const file = join(REPO_ROOT, 'bench', 'results', 'pipeline.json');
  if (!existsSync(file)) return figures;
  const earlier = JSON.parse(readFileSync(file, 'utf8')) as BenchFigure[];
  const fresh = new Map(figures.map((f) => [f.name, f]));
  const kept = earlier.map((f) => fresh.get(f.name) ?? f);
  const keptNames = new Set(kept.map((f) => f.name));
  return [...kept, ...figures.filter((f) => !keptNames.has(f.name))];
}

async function main(): Promise<void> {
  // BENCH_TRACING=1: the Fleet side traced as with OTEL_EXPORTER_OTLP_ENDPOINT set, exported to a
  // real OTLP/HTTP receiver in this process (its parsing costs this process CPU too: a worst case).
  const collector = process.env.BENCH_TRACING ? await startOtlpCollector() : undefined;
  const tracing = startTracing(
    'fleet-bench',
    collector ? { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint } : {},
  );
  open.tracing = async () => {
    await tracing.shutdown();
    if (collector) process.stdout.write(`tracing on: ${collector.spans.length} spans received\n`);
    await collector?.close();
  };
  const server = await RedisServer.start();
  open.server = server;
  const producer = connection(server.url);
  await waitReady(producer);

  const only = process.env.BENCH_ONLY ?? '';
  if (!['', 'noop', 'browser', 'steps'].includes(only)) {
    throw new Error('BENCH_ONLY must be noop, browser or steps');
  }
  const figures: BenchFigure[] = [];
  if (only === '' || only === 'noop') {
    const noop = await noopBench(server.url, producer);
    // The round whose ratio is the median: its two rates were measured back to back.
    const byRatio = [...noop.rounds].sort((a, b) => a.fleet / a.raw - b.fleet / b.raw);
    const median = byRatio[Math.floor((byRatio.length - 1) / 2)]!;
    const byCostRatio = [...noop.rounds].sort((a, b) => a.fleetUs / a.rawUs - b.fleetUs / b.rawUs);
    const byCost = byCostRatio[Math.floor((byCostRatio.length - 1) / 2)]!;
    figures.push(
      figure({
        name: `worker items/s, no-op driver (vs raw BullMQ no-op), c=${CONCURRENCY}, ${ITEMS} items, median-ratio round of ${ROUNDS}`,
        value: median.fleet,
        unit: 'items/s',
        baseline: median.raw,
        goal: { atLeast: 0.7 },
      }),
      figure({
        name: `Redis command time per item, no-op driver (vs raw BullMQ per job; INFO commandstats usec summed over all commands, enqueue included), median-ratio round of ${ROUNDS}`,
        value: byCost.fleetUs,
        unit: 'us',
        baseline: byCost.rawUs,
        goal: { atMost: 2 },
      }),
      figure({
        name: 'redis-server CPU per item, no-op driver (vs raw BullMQ; INFO cpu user+sys, network I/O included), same round',
        value: byCost.fleetCpuUs,
        unit: 'us',
        baseline: byCost.rawCpuUs,
      }),
      figure({
        name: 'no-op: lowest round ratio (Fleet/raw)',
        value: byRatio[0]!.fleet / byRatio[0]!.raw,
        unit: 'x',
      }),
      figure({
        name: 'no-op: highest round ratio (Fleet/raw)',
        value: byRatio.at(-1)!.fleet / byRatio.at(-1)!.raw,
        unit: 'x',
      }),
      figure({ name: 'no-op run: profile starts (warm on)', value: noop.stats.starts, unit: 'starts' }),
      figure({ name: 'no-op run: warm reuses', value: noop.stats.warmReuses, unit: 'reuses' }),
    );
  }

  if (only === '' || only === 'browser') {
    const { cold, warm } = await browserBench(server.url, producer);
    figures.push(
      figure({
        name: `browser items/s in steady state, warm on (vs off), ${BROWSER_ITEMS} items, c=${BROWSER_CONCURRENCY}`,
        value: warm.itemsPerSec,
        unit: 'items/s',
        baseline: cold.itemsPerSec,
        goal: { atLeast: 5 },
      }),
      figure({
        name: 'browser item time, median (warm on vs off)',
        value: warm.itemMs,
        unit: 'ms',
        baseline: cold.itemMs,
      }),
      figure({ name: 'browser warm off: browser starts', value: cold.starts, unit: 'starts' }),
      figure({ name: 'browser warm off: warm reuses', value: cold.warmReuses, unit: 'reuses' }),
      figure({ name: 'browser warm on: browser starts', value: warm.starts, unit: 'starts' }),
      figure({ name: 'browser warm on: warm reuses', value: warm.warmReuses, unit: 'reuses' }),
      figure({ name: 'browser warm off: attempts', value: cold.attempts, unit: 'attempts' }),
      figure({ name: 'browser warm on: attempts', value: warm.attempts, unit: 'attempts' }),
    );
  }
  if (only === '' || only === 'steps') {
    const rounds = await stepsBench();
    const byRatio = [...rounds].sort((a, b) => a.second / a.first - b.second / b.first);
    const median = byRatio[Math.floor((byRatio.length - 1) / 2)]!;
    figures.push(
      figure({
        name: `step interpreter, first-edition steps (goto, waitFor, 3 extracts, screenshot; local page, real Chromium): median ms per run, second edition (vs first edition runner), median-ratio round of ${STEP_ROUNDS} x ${STEP_RUNS} alternating runs`,
        value: median.second,
        unit: 'ms',
        baseline: median.first,
        goal: { atMost: 1.05 },
      }),
      figure({
        name: 'step interpreter: lowest round ratio (second/first edition)',
        value: byRatio[0]!.second / byRatio[0]!.first,
        unit: 'x',
      }),
      figure({
        name: 'step interpreter: highest round ratio (second/first edition)',
        value: byRatio.at(-1)!.second / byRatio.at(-1)!.first,
        unit: 'x',
      }),
    );
  }
  reportBench('pipeline', only === '' ? figures : withEarlierFigures(figures));
  const missed = figures.filter((f) => f.met === false);
  if (missed.length > 0) console.log(`goal not met: ${missed.map((f) => f.name).join('; ')}`);
}

await runBench('pipeline', main, { watchdogMs: 20 * 60_000, cleanup: closeAll });
