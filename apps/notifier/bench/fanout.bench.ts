/**
 * Fan-out: 1,000 Socket.IO clients (websocket transport) in 2 client processes, subscribed 10
 * per batch over 100 batches, while a producer XADDs 2,000 events/s into the event stream through
 * RedisEventStream (the worker's publish path), round-robin over the batches. Run twice: against
 * one notifier, then two (clients split across them). Each notifier runs as `pnpm start` runs it,
 * in its own process, so its CPU (utime+stime from /proc/<pid>/stat over the producing window) and
 * RSS peak (VmHWM) are its own. Reported per run: delivered/expected (each client must get every
 * event of its batch exactly once: duplicates do not count), p50/p99 delivery latency (before the
 * XADD → the client's callback, CLOCK_MONOTONIC on one machine), the notifier's CPU and RSS peak.
 *
 * Results go to bench/results/fanout.json. Knobs (env): BENCH_FANOUT_SECONDS (producing time,
 * default 60), BENCH_FANOUT_RATE (events/s, default 2000), BENCH_FANOUT_CLIENTS (default 1000),
 * BENCH_FANOUT_INSTANCES (comma list of notifier counts to run, default `1,2`).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRedis, RedisBatchStore, RedisEventStream, waitReady } from '@fleet/redis';
import {
  type BenchFigure,
  benchSetting,
  figure,
  percentile,
  RedisServer,
  reportBench,
  sleep,
} from '@fleet/testing';
import { startNotifierProcess, stopChild } from './notifier-process.js';

const SECONDS = benchSetting('BENCH_FANOUT_SECONDS', 60);
const RATE = benchSetting('BENCH_FANOUT_RATE', 2000);
const CLIENTS = benchSetting('BENCH_FANOUT_CLIENTS', 1000);
const BATCHES = 100;
const CLIENT_PROCESSES = 2;
const INSTANCES = (process.env.BENCH_FANOUT_INSTANCES ?? '1,2').split(',').map(Number);
const PREFIX = 'fanout';
const KEY = { name: 'bench', role: 'admin', key: 'bench-key-0123456789abcdef' };
const TICK_MS = 10;

const now = () => Number(process.hrtime.bigint()) / 1e6;
const ticksPerSecond = 100;

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Peak resident set of a process, in MB. */
function rssPeakMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

interface Counts {
  received: number;
  duplicates: number;
  latencies?: number[];
}

function ask(child: ChildProcess, message: object): Promise<Counts> {
  return new Promise((resolve) => {
    const onMessage = (reply: Counts & { ready?: boolean }) => {
      if (reply.ready) return;
      child.off('message', onMessage);
      resolve(reply);
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

async function startClients(urls: string[], first: number, count: number): Promise<ChildProcess> {
  const child = fork(join(import.meta.dirname, 'fanout-clients.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      BENCH_URLS: urls.join(','),
      BENCH_TOKEN: KEY.key,
      BENCH_FIRST: String(first),
      BENCH_CLIENTS: String(count),
      BENCH_BATCHES: String(BATCHES),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.on('message', (message: { ready?: boolean }) => message.ready && resolve());
    child.once('exit', (code) =>
      reject(new Error(`the client process exited (${code}) before it was ready`)),
    );
  });
  return child;
}

async function run(instances: number): Promise<BenchFigure[]> {
  const server = await RedisServer.start();
  const publisher = createRedis(server.url, { role: 'worker' });
  await waitReady(publisher);
  const events = new RedisEventStream(publisher, PREFIX);
  const batches = new RedisBatchStore(publisher, PREFIX);
  for (let b = 0; b < BATCHES; b++)
    await batches.create({ id: `fan-${b}`, owner: null, pool: 'default', total: 1 });
  const notifiers = [];
  const clients: ChildProcess[] = [];
  try {
    for (let n = 0; n < instances; n++) notifiers.push(await startNotifierProcess(server.url, PREFIX, KEY));
    const urls = notifiers.map((n) => `http://127.0.0.1:${n.port}`);
    const per = Math.ceil(CLIENTS / CLIENT_PROCESSES);
    for (let c = 0; c < CLIENT_PROCESSES; c++)
      clients.push(await startClients(urls, c * per, Math.min(per, CLIENTS - c * per)));

    const subscribersOf = Array.from({ length: BATCHES }, () => 0);
    for (let i = 0; i < CLIENTS; i++) subscribersOf[i % BATCHES]!++;
    const cpuBefore = notifiers.map((n) => cpuSeconds(n.child.pid!));
    const perTick = (RATE * TICK_MS) / 1000;
    const total = RATE * SECONDS;
    let seq = 0;
    let expected = 0;
    const start = now();
    while (seq < total) {
      const due = Math.min(total, Math.floor(((now() - start) / 1000) * RATE) + perTick);
      const sends: Promise<unknown>[] = [];
      while (seq < due) {
        const mine = ++seq;
        const batchId = `fan-${mine % BATCHES}`;
        expected += subscribersOf[mine % BATCHES]!;
        sends.push(
          events.publish({
            type: 'item.completed',
            batchId,
            itemId: `${batchId}.${mine}`,
            at: Date.now(),
            data: { seq: mine, t: now(), progress: { total: 1, completed: 1, failed: 0 } },
          }),
        );
      }
      await Promise.all(sends);
      await sleep(TICK_MS);
    }
    const producing = (now() - start) / 1000;
    // Drain: until every client has everything, or nothing more arrives for 5 s.
    let last = -1;
    let still = now();
    for (;;) {
      const counts = await Promise.all(clients.map((c) => ask(c, { count: true })));
      const got = counts.reduce((s, c) => s + c.received, 0);
      if (got >= expected) break;
      if (got !== last) {
        last = got;
        still = now();
      } else if (now() - still > 5000) break;
      await sleep(200);
    }
    const cpu = notifiers.map((n, i) => cpuSeconds(n.child.pid!) - cpuBefore[i]!);
    const rss = notifiers.map((n) => rssPeakMb(n.child.pid!));
    const reports = await Promise.all(clients.map((c) => ask(c, { report: true })));
    const received = reports.reduce((s, r) => s + r.received, 0);
    const duplicates = reports.reduce((s, r) => s + r.duplicates, 0);
    const latencies = reports.flatMap((r) => r.latencies ?? []);
    const label = `${instances} notifier${instances > 1 ? 's' : ''}`;
    const cpuPct = (cpu.reduce((a, b) => a + b, 0) / producing) * 100;
    console.log(
      `${label}: ${seq} events in ${producing.toFixed(1)} s (${(seq / producing).toFixed(0)}/s), ` +
        `delivered ${received}/${expected}, duplicates ${duplicates}, ` +
        `p50 ${percentile(latencies, 50).toFixed(2)} ms p99 ${percentile(latencies, 99).toFixed(2)} ms, ` +
        `notifier CPU ${cpu.map((c) => ((c / producing) * 100).toFixed(0)).join('+')}% RSS peak ${rss.map((r) => r.toFixed(0)).join('+')} MB`,
    );
    return [
      figure({
        name: `${label}: delivered/expected (each client, its batch's events once)`,
        value: received,
        unit: 'events',
        baseline: expected,
        goal: { atLeast: 1 },
      }),
      figure({ name: `${label}: duplicate deliveries`, value: duplicates, unit: 'events' }),
      figure({ name: `${label}: events/s produced`, value: seq / producing, unit: 'events/s' }),
      figure({ name: `${label}: p50 delivery latency`, value: percentile(latencies, 50), unit: 'ms' }),
      figure({ name: `${label}: p99 delivery latency`, value: percentile(latencies, 99), unit: 'ms' }),
      figure({ name: `${label}: notifier CPU (sum over instances)`, value: cpuPct, unit: '% of a core' }),
      figure({ name: `${label}: notifier RSS peak (max instance)`, value: Math.max(...rss), unit: 'MB' }),
    ];
  } finally {
    for (const child of clients) await stopChild(child, 'SIGKILL');
    for (const n of notifiers) await stopChild(n.child);
    publisher.disconnect();
    await server.close();
  }
}

async function main(): Promise<void> {
  const figures = [];
  for (const instances of INSTANCES) figures.push(...(await run(instances)));
  reportBench('fanout', figures);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
