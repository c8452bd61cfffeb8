/**
 * Scale-out benchmark (issue 14 section 4; the ceiling is in DESIGN.md section 7): items/s of 1, 2
 * and 4 "worker hosts" of the same size sharing one real redis-server (started here on a free
 * port), and what Redis spends per item, against raw BullMQ in the same run.
 *
 * A host is one OS process (scaleout-host.ts, forked and kept up for the whole benchmark; a run
 * starts a fresh worker in it under the run's own key prefix). Fleet: the real worker
 * (`startWorker`: BullMQ, leases, claims, results, events, reclaim), WORKER_CONCURRENCY =
 * BENCH_CONCURRENCY, a driver that sleeps BENCH_SLEEP_MS per item on average (0.5x to 1.5x)
 * instead of browsing, so the machine's 2 cores are not what limits it, and a provider whose start
 * answers at once. Each host brings its own 2 x concurrency profiles to the one pool, so no item
 * waits for a lease. Raw BullMQ: a plain BullMQ Worker per host whose jobs sleep alike, same
 * concurrency, same number of jobs.
 *
 * One run: start the workers, submit one batch big enough to outlast the run, let it warm up
 * (WARMUP_MS), then count finished items over a steady window (WINDOW_MS; hosts report over IPC, so
 * counting costs Redis nothing) and read `INFO cpu commandstats`, every host's CPU time and the
 * machine's (/proc/stat) at both ends. The whole benchmark first warms up once (both modes, 4
 * hosts); then every point (mode x hosts) runs BENCH_REPEATS times, in alternating order; medians
 * are reported, and every run's figures.
 *
 * - Scale-out efficiency = items/s at 4 hosts / (4 x items/s at 1 host). Goal >= 0.9.
 * - Redis µs per item from commandstats deltas (sum of `usec` over all commands in the window /
 *   items). Redis counts a command run inside a Lua script or MULTI/EXEC both on its own and in its
 *   EVALSHA/EXEC, so the sum overstates that part; redis-server's own CPU time (`used_cpu_user` +
 *   `used_cpu_sys`, which also holds the network I/O commandstats leaves out) is reported beside
 *   it. The ceiling (items/s, browser slots, per Redis core) is given from both, submit included.
 *
 * Figures go to bench/results/scaleout.json (repository root). Knobs (env): BENCH_CONCURRENCY
 * (10), BENCH_SLEEP_MS (250), BENCH_REPEATS (3), BENCH_LOG=<pino level> (hosts' logs, silent).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ItemJob, Step } from '@fleet/contracts';
import { BatchService, planBatch } from '@fleet/core';
import { BullItemQueue, createItemsQueue, enqueueItems } from '@fleet/queue';
import { createRedis, type FleetRedis, RedisBatchStore, RedisProfileStore, waitReady } from '@fleet/redis';
import { type BenchFigure, benchSetting, figure, RedisServer, reportBench, sleep } from '@fleet/testing';
import { HostProcess } from './host-process.js';
import { runBench } from './run-bench.js';
import type { HostMode } from './scaleout-host.js';

/** Browser slots per host: 10 is a realistic host; 4 x 10 / 250 ms = 160 items/s at 4 hosts. */
const CONCURRENCY = benchSetting('BENCH_CONCURRENCY', 10);
const SLEEP_MS = benchSetting('BENCH_SLEEP_MS', 250);
const REPEATS = benchSetting('BENCH_REPEATS', 3);
const HOST_COUNTS = [1, 2, 4] as const;
const WARMUP_MS = 2500;
const WINDOW_MS = 6000;
/** The batch outlasts warm-up + window at the ideal rate by this much, so the window never drains it. */
const BACKLOG_MS = 3000;
const PROFILES_PER_HOST = 2 * CONCURRENCY;
/** The item time the ceiling's browser slots assume. */
const BROWSER_ITEM_S = 10;
const POOL = 'default';
const STEPS: Step[] = [{ goto: 'https://example.test/' }];
const CLK_TCK = 100; // Linux USER_HZ: /proc times are in 1/100 s

// ---------------------------------------------------------------------------------------------
// Measuring: Redis commandstats and CPU, the machine's CPU

/** `usec` of every command in `INFO commandstats`, and redis-server's CPU seconds (`INFO cpu`). */
async function redisStats(redis: FleetRedis): Promise<{ usec: Map<string, number>; cpu: number }> {
  const info = String(await redis.call('INFO', 'cpu', 'commandstats'));
  const usec = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):.*?usec=(\d+)/gm))
    usec.set(match[1]!, Number(match[2]));
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return { usec, cpu: field('used_cpu_user') + field('used_cpu_sys') };
}

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

function commandDelta(a: Map<string, number>, b: Map<string, number>): Map<string, number> {
  const delta = new Map<string, number>();
  for (const [name, usec] of b) delta.set(name, usec - (a.get(name) ?? 0));
  return delta;
}

/** Busy CPU seconds of the whole machine (all cores) so far, from /proc/stat. */
function machineBusy(): number {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
  const busy = sum(ticks.slice(0, 8)) - ticks[3]! - ticks[4]!;
  return busy / CLK_TCK;
}

// ---------------------------------------------------------------------------------------------
// One run

interface Snapshot {
  at: number;
  completed: number;
  failed: number;
  acquireWaits: number;
  commandUsec: Map<string, number>;
  redisCpu: number;
  hostsCpu: number;
  benchCpu: number;
  machineBusy: number;
}

interface Run {
  mode: HostMode;
  hosts: number;
  itemsPerSec: number;
  items: number;
  /** commandstats usec in the window / items. */
  commandUsPerItem: number;
  /** redis-server CPU in the window / items. */
  redisCpuUsPerItem: number;
  /** commandstats usec of the submit / jobs submitted. */
  submitUsPerItem: number;
  /** Cores busy over the window (1 = one core all the time). */
  redisCores: number;
  hostsCores: number;
  benchCores: number;
  machineCores: number;
  acquireWaits: number;
  topCommands: string;
}

async function snapshot(redis: FleetRedis, hosts: HostProcess[]): Promise<Snapshot> {
  const at = Date.now();
  const [counts, stats] = await Promise.all([Promise.all(hosts.map((h) => h.count())), redisStats(redis)]);
  const bench = process.cpuUsage();
  return {
    at,
    completed: sum(counts.map((c) => c.completed)),
    failed: sum(counts.map((c) => c.failed)),
    acquireWaits: sum(counts.map((c) => c.acquireWaits)),
    commandUsec: stats.usec,
    redisCpu: stats.cpu,
    hostsCpu: sum(counts.map((c) => c.cpuUs)) / 1e6,
    benchCpu: (bench.user + bench.system) / 1e6,
    machineBusy: machineBusy(),
  };
}

let runSeq = 0;

async function submit(mode: HostMode, producer: FleetRedis, prefix: string, jobs: number): Promise<void> {
  const batchId = `s${++runSeq}x${Date.now()}`;
  const items = Array.from({ length: jobs }, (_, i) => ({ i }));
  const queue = createItemsQueue(producer, prefix);
  try {
    if (mode === 'fleet') {
      const service = new BatchService(new RedisBatchStore(producer, prefix), new BullItemQueue(queue));
      await service.submit({ batchId, pool: POOL, steps: STEPS, items });
    } else {
      // The payloads BatchService enqueues for a Fleet batch, straight into BullMQ.
      const plan = planBatch({ batchId, pool: POOL, steps: STEPS, items });
      if (!plan.ok) throw new Error(`could not plan the raw batch: ${JSON.stringify(plan.problems)}`);
      const planned: ItemJob[] = plan.jobs;
      await enqueueItems(queue, planned);
    }
  } finally {
    await queue.close();
  }
}

async function run(
  mode: HostMode,
  hosts: HostProcess[],
  producer: FleetRedis,
  windowMs = WINDOW_MS,
): Promise<Run> {
  const prefix = `bench-scale-${mode}-${randomBytes(4).toString('hex')}`;
  if (mode === 'fleet') {
    const profiles = new RedisProfileStore(producer, prefix);
    for (let i = 0; i < hosts.length * PROFILES_PER_HOST; i++) {
      await profiles.register({ id: `p${i}`, pool: POOL, providerIds: {} });
    }
  }
  try {
    await Promise.all(
      hosts.map((h) => h.request({ type: 'start', mode, prefix, workerId: `${prefix}-${h.name}` })),
    );
    const idealPerSec = (hosts.length * CONCURRENCY * 1000) / SLEEP_MS;
    const jobs = Math.ceil((idealPerSec * (WARMUP_MS + windowMs + BACKLOG_MS)) / 1000);
    const beforeSubmit = await redisStats(producer);
    await submit(mode, producer, prefix, jobs);
    const submitUsec = sum(commandDelta(beforeSubmit.usec, (await redisStats(producer)).usec).values());

    await sleep(WARMUP_MS);
    const a = await snapshot(producer, hosts);
    await sleep(windowMs);
    const b = await snapshot(producer, hosts);
    const label = `${mode} x${hosts.length}`;
    if (b.failed > 0) throw new Error(`${label}: ${b.failed} items failed`);
    if (b.completed >= jobs) throw new Error(`${label}: the batch drained inside the window`);

    const seconds = (b.at - a.at) / 1000;
    const items = b.completed - a.completed;
    const commands = commandDelta(a.commandUsec, b.commandUsec);
    const top = [...commands].sort((x, y) => y[1] - x[1]).slice(0, 5);
    return {
      mode,
      hosts: hosts.length,
      itemsPerSec: items / seconds,
      items,
      commandUsPerItem: sum(commands.values()) / items,
      redisCpuUsPerItem: ((b.redisCpu - a.redisCpu) * 1e6) / items,
      submitUsPerItem: submitUsec / jobs,
      redisCores: (b.redisCpu - a.redisCpu) / seconds,
      hostsCores: (b.hostsCpu - a.hostsCpu) / seconds,
      benchCores: (b.benchCpu - a.benchCpu) / seconds,
      machineCores: (b.machineBusy - a.machineBusy) / seconds,
      acquireWaits: b.acquireWaits,
      topCommands: top.map(([name, usec]) => `${name} ${(usec / items).toFixed(1)}`).join(', '),
    };
  } finally {
    // The batch's rest stays queued under this run's prefix: nobody takes it again.
    await Promise.all(hosts.map((h) => h.request({ type: 'stop' })));
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
};

function describe(r: Run): string {
  const pct = (cores: number) => `${(cores * 100).toFixed(0)}%`;
  return (
    `${r.mode.padEnd(5)} x${r.hosts}: ${r.itemsPerSec.toFixed(1)} items/s (${r.items} items); redis ` +
    `${r.commandUsPerItem.toFixed(1)} µs/item commandstats, ${r.redisCpuUsPerItem.toFixed(0)} µs/item CPU; ` +
    `cpu redis ${pct(r.redisCores)} hosts ${pct(r.hostsCores)} bench ${pct(r.benchCores)} ` +
    `machine ${pct(r.machineCores)} of 200%; submit ${r.submitUsPerItem.toFixed(1)} µs/item; ` +
    `acquire waits ${r.acquireWaits}; top: ${r.topCommands}`
  );
}

function report(runs: Run[]): BenchFigure[] {
  const of = (mode: HostMode, hosts: number) => runs.filter((r) => r.mode === mode && r.hosts === hosts);
  const med = (mode: HostMode, hosts: number, pick: (r: Run) => number) => median(of(mode, hosts).map(pick));
  const rate = (r: Run) => r.itemsPerSec;
  const ideal = (CONCURRENCY * 1000) / SLEEP_MS;
  const shape = `c=${CONCURRENCY} per host, ${SLEEP_MS} ms per item`;
  const figures: BenchFigure[] = [
    figure({ name: `ideal items/s of one host (${shape})`, value: ideal, unit: 'items/s' }),
  ];
  for (const hosts of HOST_COUNTS) {
    figures.push(
      figure({
        name: `Fleet items/s, ${hosts} host(s) (vs raw BullMQ, same hosts), median of ${REPEATS}`,
        value: med('fleet', hosts, rate),
        unit: 'items/s',
        baseline: med('raw', hosts, rate),
      }),
    );
  }
  for (const mode of ['fleet', 'raw'] as const) {
    const one = med(mode, 1, rate);
    for (const hosts of [2, 4]) {
      figures.push(
        figure({
          name: `${mode === 'fleet' ? 'Fleet' : 'raw BullMQ'} scale-out efficiency, ${hosts} hosts: items/s at ${hosts} ÷ (${hosts} × items/s at 1)`,
          value: med(mode, hosts, rate),
          unit: 'items/s',
          baseline: hosts * one,
          goal: mode === 'fleet' && hosts === 4 ? { atLeast: 0.9 } : undefined,
        }),
      );
    }
  }
  const fleetCommand = med('fleet', 4, (r) => r.commandUsPerItem);
  const fleetCpu = med('fleet', 4, (r) => r.redisCpuUsPerItem);
  const fleetSubmit = med('fleet', 4, (r) => r.submitUsPerItem);
  figures.push(
    figure({
      name: 'Redis µs/item from INFO commandstats (sum of usec over all commands in the window ÷ items), Fleet vs raw BullMQ, 4 hosts, median',
      value: fleetCommand,
      unit: 'µs/item',
      baseline: med('raw', 4, (r) => r.commandUsPerItem),
    }),
    figure({
      name: 'Redis µs/item from INFO commandstats, Fleet vs raw BullMQ, 1 host, median',
      value: med('fleet', 1, (r) => r.commandUsPerItem),
      unit: 'µs/item',
      baseline: med('raw', 1, (r) => r.commandUsPerItem),
    }),
    figure({
      name: 'redis-server CPU µs/item (INFO cpu user+sys in the window ÷ items; with network I/O), Fleet vs raw BullMQ, 4 hosts, median',
      value: fleetCpu,
      unit: 'µs/item',
      baseline: med('raw', 4, (r) => r.redisCpuUsPerItem),
    }),
    figure({
      name: 'Redis µs/item of the submit (commandstats; BatchService vs addBulk), 4 hosts, median',
      value: fleetSubmit,
      unit: 'µs/item',
      baseline: med('raw', 4, (r) => r.submitUsPerItem),
    }),
    figure({
      name: 'ceiling: Fleet items/s one Redis core serves by commandstats (1e6 ÷ (window + submit µs/item))',
      value: 1e6 / (fleetCommand + fleetSubmit),
      unit: 'items/s',
    }),
    figure({
      name: `ceiling: browser slots at ${BROWSER_ITEM_S} s per item by commandstats`,
      value: (BROWSER_ITEM_S * 1e6) / (fleetCommand + fleetSubmit),
      unit: 'slots',
    }),
    figure({
      name: 'ceiling: Fleet items/s one Redis core serves by redis-server CPU (1e6 ÷ (CPU + submit µs/item))',
      value: 1e6 / (fleetCpu + fleetSubmit),
      unit: 'items/s',
    }),
    figure({
      name: `ceiling: browser slots at ${BROWSER_ITEM_S} s per item by redis-server CPU`,
      value: (BROWSER_ITEM_S * 1e6) / (fleetCpu + fleetSubmit),
      unit: 'slots',
    }),
  );
  for (const hosts of HOST_COUNTS) {
    const cores = (pick: (r: Run) => number) => med('fleet', hosts, pick);
    figures.push(
      figure({
        name: `Fleet x${hosts}: redis-server CPU, share of one core`,
        value: cores((r) => r.redisCores),
        unit: 'cores',
      }),
      figure({
        name: `Fleet x${hosts}: all hosts' CPU, in cores`,
        value: cores((r) => r.hostsCores),
        unit: 'cores',
      }),
      figure({
        name: `Fleet x${hosts}: machine busy, in cores (of 2)`,
        value: cores((r) => r.machineCores),
        unit: 'cores',
      }),
    );
  }
  figures.push(
    figure({
      name: 'Fleet: items that found no free profile (all runs)',
      value: sum(runs.filter((r) => r.mode === 'fleet').map((r) => r.acquireWaits)),
      unit: 'items',
    }),
  );
  for (const r of runs) {
    const k = runs.filter((x) => x.mode === r.mode && x.hosts === r.hosts).indexOf(r) + 1;
    figures.push(
      figure({ name: `run: ${r.mode} x${r.hosts} #${k} items/s`, value: r.itemsPerSec, unit: 'items/s' }),
      figure({
        name: `run: ${r.mode} x${r.hosts} #${k} Redis commandstats µs/item`,
        value: r.commandUsPerItem,
        unit: 'µs/item',
      }),
      figure({
        name: `run: ${r.mode} x${r.hosts} #${k} redis-server CPU µs/item`,
        value: r.redisCpuUsPerItem,
        unit: 'µs/item',
      }),
    );
  }
  return figures;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = Date.now();
  const server = await RedisServer.start();
  const producer = createRedis(server.url, { role: 'worker' });
  // One process per host, up for the whole benchmark; a run starts a fresh worker in the first N.
  const pool = Array.from(
    { length: Math.max(...HOST_COUNTS) },
    (_, h) =>
      new HostProcess(`h${h + 1}`, {
        BENCH_SLEEP_MS: String(SLEEP_MS),
        BENCH_SEED: String(h + 1),
        REDIS_URL: server.url,
        WORKER_CONCURRENCY: String(CONCURRENCY),
        WORKER_PORT: '0',
        ARTIFACTS_DIR: join(tmpdir(), 'fleet-bench-artifacts-unused'),
        MULTILOGIN_API_URL: 'http://127.0.0.1:9',
        MULTILOGIN_LAUNCHER_URL: 'http://127.0.0.1:9',
        LOG_LEVEL: process.env.BENCH_LOG ?? 'silent',
      }),
  );
  try {
    await waitReady(producer);
    // Warm-up (untimed): every host process loads and JIT-compiles both workers' paths.
    for (const mode of ['fleet', 'raw'] as const) await run(mode, pool, producer, WARMUP_MS);
    const runs: Run[] = [];
    for (let rep = 0; rep < REPEATS; rep++) {
      const order = rep % 2 === 0 ? [...HOST_COUNTS] : [...HOST_COUNTS].reverse();
      for (const hosts of order) {
        const modes: HostMode[] = rep % 2 === 0 ? ['fleet', 'raw'] : ['raw', 'fleet'];
        for (const mode of modes) {
          const r = await run(mode, pool.slice(0, hosts), producer);
          runs.push(r);
          console.log(`round ${rep + 1}/${REPEATS} ${describe(r)}`);
        }
      }
    }
    const figures = report(runs);
    reportBench('scaleout', figures);
    const missed = figures.filter((f) => f.met === false);
    if (missed.length > 0) console.log(`goal not met: ${missed.map((f) => f.name).join('; ')}`);
    console.log(`scale-out bench: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    producer.disconnect();
    await Promise.all(pool.map((h) => h.close()));
    await server.close();
  }
}

await runBench('scale-out', main, { watchdogMs: 10 * 60_000 });
