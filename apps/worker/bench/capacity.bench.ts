/**
 * Capacity of one host (issue 17 section 4): warm browser items/s and peak memory of a worker and
 * its launcher at WORKER_CONCURRENCY 1, 2, 4, 8 on this machine, the knee of that curve, and what
 * the host-pressure gate (WORKER_MAX_CPU_PERCENT, WORKER_MAX_MEMORY_PERCENT) does when the
 * concurrency is set past the knee.
 *
 * Real processes, as deployed: one redis-server (own port), a launcher and one worker as child
 * processes (ProcessFleet), real Chromium, the fixture site served from this process. The pool
 * holds as many profiles as the largest concurrency; warm profiles on (WARM_IDLE_MS 2 min). One
 * point: start a worker at concurrency c (gate off unless the point says so), read the base memory
 * (worker + launcher, no browser), run a warm-up batch of 2c items (every browser started), then a
 * batch of BENCH_ITEMS / 2 items with memory sampled, then the measured batch of BENCH_ITEMS items
 * (goto a fixture page, two extracts), timed from submit to the last result, with nothing sampled
 * but the worker's fleet_worker_slots_allowed; stop the worker (its browsers stop with it).
 *
 * Memory: every 250 ms the proportional set size (Pss, /proc/<pid>/smaps_rollup) summed over the
 * worker's and the launcher's process trees (chromedriver, Chromium and its helpers included): Pss
 * splits shared pages among their sharers, so the sum is what the tree really holds, where summed
 * RSS would count Chromium's shared pages once per process. Memory per warm profile = (peak at c −
 * base) / c. Knee: the first concurrency whose items/s gain over the previous one is under 10%.
 *
 * Gate: the worker at BENCH_GATE_CONCURRENCY (8) with the gate on (CPU 90%, memory
 * 85%, checked every second) against the same concurrency with the gate off; the goal is that the
 * gated run holds the knee's items/s (ratio to the knee ≥ 0.9), also shown against the best point
 * of the curve, with the mean of the worker's fleet_worker_slots_allowed over the measured batch
 * (scraped every 250 ms: where the gate held the slots). Baselines come from this run.
 *
 * Figures go to bench/results/capacity.json. Knobs (env): BENCH_ITEMS (60), BENCH_CONCURRENCIES
 * ("1,2,4,8"), BENCH_GATE_CONCURRENCY (8), BENCH_ROUNDS (1: every point that many times, one round
 * after another, each point's median round reported; on a shared machine several rounds keep a
 * neighbour's burst from landing on one point only), BENCH_LOG (the apps' log level, warn).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Step } from '@fleet/contracts';
import { BatchService } from '@fleet/core';
import { sampleSum } from '@fleet/metrics';
import { MultiloginClient } from '@fleet/multilogin';
import { BullItemQueue, createItemsQueue } from '@fleet/queue';
import { createRedis, RedisBatchStore, RedisProfileStore, RedisResultStore } from '@fleet/redis';
import {
  type AppProcess,
  type BenchFigure,
  benchSetting,
  chromiumsUnder,
  figure,
  ProcessFleet,
  RedisServer,
  reportBench,
  sleep,
  startFixtureSite,
} from '@fleet/testing';

const ITEMS = benchSetting('BENCH_ITEMS', 60);
const CONCURRENCIES = (process.env.BENCH_CONCURRENCIES || '1,2,4,8')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0);
const GATE_CONCURRENCY = benchSetting('BENCH_GATE_CONCURRENCY', 8);
const ROUNDS = Math.max(1, benchSetting('BENCH_ROUNDS', 1));
const MEMORY_ITEMS = Math.max(1, Math.ceil(ITEMS / 2));
const KNEE_GAIN = 0.1;
const SAMPLE_MS = 250;
const POOL = 'default';
const EMAIL = 'bench@fleet.local';
const PASSWORD = 'bench-password';
const MIB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Memory of process trees, from /proc

/** Every process's parent, read from /proc/<pid>/stat (the field after the parenthesised name). */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      map.set(Number(entry), ppid);
    } catch {
      // it ended meanwhile
    }
  }
  return map;
}

/** `roots` and every process under them. */
function tree(roots: number[]): Set<number> {
  const parent = parents();
  const all = new Set(roots.filter((pid) => parent.has(pid)));
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!all.has(pid) && all.has(ppid)) {
        all.add(pid);
        grew = true;
      }
    }
  }
  return all;
}

/** Pss in bytes (0 for a process that ended meanwhile). */
function pss(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The memory of the worker, the launcher and every browser (found by their profile directory). */
function fleetMemory(roots: number[], launcherDir: string): number {
  const pids = tree([...roots, ...chromiumsUnder(launcherDir)]);
  let total = 0;
  for (const pid of pids) total += pss(pid);
  return total;
}

/** Samples `fleetMemory` every SAMPLE_MS until stopped: the peak, and the mean for a base. */
function sampler(roots: number[], launcherDir: string) {
  let peak = 0;
  let sum = 0;
  let count = 0;
  const take = () => {
    const bytes = fleetMemory(roots, launcherDir);
    peak = Math.max(peak, bytes);
    sum += bytes;
    count++;
  };
  take();
  const timer = setInterval(take, SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { peak, mean: count ? sum / count : 0 };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The fleet

const dir = mkdtempSync(join(tmpdir(), 'fleet-bench-capacity-'));
const redisServer = await RedisServer.start();
const site = await startFixtureSite();
const prefix = `cap${Date.now().toString(36)}`;
const fleet = new ProcessFleet({
  dir,
  redisUrl: redisServer.url,
  prefix,
  credentials: { email: EMAIL, password: PASSWORD },
  allowedTargets: `127.0.0.1:${site.port}`,
  logLevel: process.env.BENCH_LOG ?? 'warn',
  readyMs: 60_000,
});
const redis = createRedis(redisServer.url, { role: 'worker', name: 'capacity-bench' });
const queue = createItemsQueue(redis, prefix);
const batches = new BatchService(new RedisBatchStore(redis, prefix), new BullItemQueue(queue));
const results = new RedisResultStore(redis, prefix);

const STEPS: Step[] = [
  { goto: `${site.url}/?item={{n}}` },
  { extract: { name: 'heading', selector: '#heading' } },
  { extract: { name: 'first', selector: '.product .name' } },
];

let seq = 0;
/** Submits `count` items and resolves when every one has a result: the seconds it took. */
async function runBatch(count: number): Promise<number> {
  const items = Array.from({ length: count }, (_, n) => ({ n }));
  const t0 = performance.now();
  const { id } = await batches.submit({ batchId: `cap${++seq}`, pool: POOL, steps: STEPS, items });
  for (;;) {
    const progress = await results.progress(id);
    if (progress && progress.completed + progress.failed >= count) {
      if (progress.failed > 0) throw new Error(`batch ${id}: ${progress.failed} of ${count} items failed`);
      return (performance.now() - t0) / 1000;
    }
    await sleep(50);
  }
}

interface Point {
  concurrency: number;
  gate: boolean;
  itemsPerS: number;
  baseBytes: number;
  peakBytes: number;
  /** The mean of the worker's fleet_worker_slots_allowed over the measured batch. */
  slots: number;
}

/** Reads the worker's fleet_worker_slots_allowed every SAMPLE_MS until stopped: the mean and the run of values. */
function slotsSampler(workerUrl: string) {
  const values: number[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const text = await (await fetch(`${workerUrl}/metrics`)).text();
        const value = sampleSum(text, 'fleet_worker_slots_allowed');
        if (value !== undefined) values.push(value);
      } catch {
        // a scrape lost to a busy host: the next one counts
      }
      await sleep(SAMPLE_MS);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      const seen = values.filter((v, i) => i === 0 || v !== values[i - 1]);
      return { mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0, seen };
    },
  };
}

async function runPoint(concurrency: number, gate: boolean): Promise<Point> {
  const launcher = fleet.app('launcher') as AppProcess;
  const worker = await fleet.start('worker', {
    name: `worker-c${concurrency}${gate ? '-gated' : ''}`,
    env: {
      WORKER_CONCURRENCY: String(concurrency),
      WARM_IDLE_MS: '120000',
      SCENARIOS_DIR: '',
      WORKER_MAX_CPU_PERCENT: gate ? '90' : '0',
      WORKER_MAX_MEMORY_PERCENT: gate ? '85' : '0',
    },
  });
  let point: Point;
  try {
    const roots = [worker.pid, launcher.pid];
    const base = sampler(roots, fleet.launcherDir);
    await sleep(1000);
    const baseBytes = base.stop().mean;
    await runBatch(2 * concurrency); // every browser started: the batches below run warm
    // Memory on a batch of its own: reading smaps_rollup costs the kernel a page-table walk per
    // process (~0.1 CPU-s per sample of ~50 Chromium processes here, 0.4 of a core at 250 ms), which
    // slowed the timed batch of the points with many browsers (c=8 gated or not) by itself.
    const memory = sampler(roots, fleet.launcherDir);
    await runBatch(MEMORY_ITEMS);
    const { peak } = memory.stop();
    const allowed = slotsSampler(fleet.url(worker.name));
    const seconds = await runBatch(ITEMS);
    const slots = await allowed.stop();
    point = { concurrency, gate, itemsPerS: ITEMS / seconds, baseBytes, peakBytes: peak, slots: slots.mean };
    console.log(
      `c=${concurrency} gate=${gate ? 'on' : 'off'}: ${point.itemsPerS.toFixed(2)} items/s, ` +
        `base ${(baseBytes / MIB).toFixed(0)} MiB, peak ${(peak / MIB).toFixed(0)} MiB, ` +
        `slots allowed ${slots.mean.toFixed(2)} on average (${slots.seen.join(' ')})`,
    );
  } finally {
    await worker.stop(20_000);
  }
  const left = await fleet.browsersAfter(10_000);
  if (left > 0) throw new Error(`${left} browsers left running after the worker stopped`);
  return point;
}

/** The round with the median items/s (the lower middle one of an even count). */
function medianPoint(points: Point[]): Point {
  const sorted = [...points].sort((a, b) => a.itemsPerS - b.itemsPerS);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** The first concurrency whose items/s gain over the previous one is under KNEE_GAIN (else the last). */
function kneeOf(points: Point[]): Point {
  for (let i = 1; i < points.length; i++) {
    const prev = points[i - 1]!;
    const cur = points[i]!;
    if (cur.itemsPerS < prev.itemsPerS * (1 + KNEE_GAIN)) return cur;
  }
  return points[points.length - 1]!;
}

try {
  await fleet.start('launcher', {
    env: { LAUNCHER_MAX_BROWSERS: String(2 * Math.max(...CONCURRENCIES, GATE_CONCURRENCY)) },
  });
  const client = new MultiloginClient(fleet.launcherAccount());
  const [folder] = await client.listFolders();
  if (!folder) throw new Error('the launcher has no folder');
  const profiles = new RedisProfileStore(redis, prefix);
  for (let i = 0; i < Math.max(...CONCURRENCIES, GATE_CONCURRENCY); i++) {
    const id = await client.createProfile({ name: `capacity-${i}`, folderId: folder.id });
    await profiles.register({ id, pool: POOL, providerIds: { folderId: folder.id } });
  }

  // Every point once per round, rounds one after another (a neighbour's load that comes and goes
  // falls on all points alike); each point's figures are its median round.
  const rounds: { curve: Point[]; gateOff: Point; gateOn: Point }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const points: Point[] = [];
    for (const c of CONCURRENCIES) points.push(await runPoint(c, false));
    const off =
      points.find((p) => p.concurrency === GATE_CONCURRENCY) ?? (await runPoint(GATE_CONCURRENCY, false));
    rounds.push({ curve: points, gateOff: off, gateOn: await runPoint(GATE_CONCURRENCY, true) });
  }
  const curve = CONCURRENCIES.map((_, i) => medianPoint(rounds.map((r) => r.curve[i]!)));
  const gateOff = medianPoint(rounds.map((r) => r.gateOff));
  const gateOn = medianPoint(rounds.map((r) => r.gateOn));

  const first = curve[0]!;
  const knee = kneeOf(curve);
  const best = curve.reduce((a, b) => (b.itemsPerS > a.itemsPerS ? b : a));
  const figures: BenchFigure[] = [];
  for (const p of curve) {
    figures.push(
      figure({
        name: `warm items/s at WORKER_CONCURRENCY ${p.concurrency} (vs c=${first.concurrency})`,
        value: p.itemsPerS,
        unit: 'items/s',
        baseline: first.itemsPerS,
      }),
      figure({
        name: `peak memory (Pss) of worker + launcher + browsers at c=${p.concurrency}`,
        value: p.peakBytes / MIB,
        unit: 'MiB',
        baseline: p.baseBytes / MIB,
      }),
      figure({
        name: `memory per warm profile at c=${p.concurrency}: (peak - base) / c`,
        value: (p.peakBytes - p.baseBytes) / p.concurrency / MIB,
        unit: 'MiB',
      }),
    );
  }
  figures.push(
    figure({
      name: `knee: first concurrency gaining < ${KNEE_GAIN * 100}% items/s over the previous`,
      value: knee.concurrency,
      unit: 'slots',
    }),
    figure({
      name: `gate off at c=${GATE_CONCURRENCY}: items/s vs the knee (c=${knee.concurrency})`,
      value: gateOff.itemsPerS,
      unit: 'items/s',
      baseline: knee.itemsPerS,
    }),
    figure({
      name: `gate on (CPU 90%, memory 85%) at c=${GATE_CONCURRENCY}: items/s vs the knee (c=${knee.concurrency})`,
      value: gateOn.itemsPerS,
      unit: 'items/s',
      baseline: knee.itemsPerS,
      goal: { atLeast: 0.9 },
    }),
    figure({
      name: `gate on at c=${GATE_CONCURRENCY}: items/s vs the best point of the curve (c=${best.concurrency})`,
      value: gateOn.itemsPerS,
      unit: 'items/s',
      baseline: best.itemsPerS,
    }),
    figure({
      name: `gate on at c=${GATE_CONCURRENCY}: mean slots allowed over the measured batch`,
      value: gateOn.slots,
      unit: 'slots',
    }),
    figure({
      name: `gate on at c=${GATE_CONCURRENCY}: peak memory vs gate off`,
      value: gateOn.peakBytes / MIB,
      unit: 'MiB',
      baseline: gateOff.peakBytes / MIB,
    }),
  );
  reportBench('capacity', figures);
} finally {
  await fleet.stop();
  await fleet.kill();
  await queue.close();
  redis.disconnect();
  await site.close();
  await redisServer.close();
  rmSync(dir, { recursive: true, force: true });
}
