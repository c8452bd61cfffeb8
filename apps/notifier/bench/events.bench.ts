/**
 * Event latency: from the XADD of an event to a Socket.IO client receiving it through
 * the notifier, against a raw XREAD BLOCK client on the same stream, in the same run. Goal: the
 * notifier's p99 within 2x the raw client's.
 *
 * A throwaway redis-server; the notifier runs as `pnpm start` runs it (its own process). Each
 * receiver — the raw XREAD BLOCK reader and the Socket.IO client (websocket transport) — runs in a
 * process of its own too (bench/receiver.ts, forked), so both wake from idle alike and neither
 * shares an event loop with the publisher; they stamp arrivals on CLOCK_MONOTONIC (process.hrtime,
 * one clock for all processes) and report over IPC, outside the measured span. One event at a
 * time: the next is published when the previous one has arrived, so the figures are latency, not
 * queueing. The two paths take turns event by event (who goes first alternating), so a burst of
 * load from elsewhere on the machine lands on both alike; while one is measured the other still
 * reads every event. Each time runs from before the XADD (the worker's real publish path) to the
 * receiving callback.
 *
 * What the ratio holds (2 cores shared with other work): with the raw reader in the bench's own
 * process (before), it woke on a loop already awake for the XADD reply, while the Socket.IO
 * client paid a cold wakeup: the p99 ratio read 2.3-4.3x. Measured alike, a run of 1,500 events
 * per path gave raw p99 2.5 ms, notifier 3.3 ms (1.28x); the full run (4,000) raw 1.49 ms,
 * notifier 2.84 ms (1.90x). p50 0.15 vs 0.30 ms: the extra hop.
 * The notifier's GC seems not to be it: a young generation 4x larger (`--max-semi-space-size=64`)
 * made no visible difference in three runs.
 *
 * Where the tail comes from (issue 17 §3; profiled with `--cpu-prof`, and a run with per-event
 * stamps on CLOCK_MONOTONIC at the notifier's XREAD return and after its emit): of a notifier
 * event's p99 (3.4 ms that run), XADD → the notifier's XREAD return was p99 2.1 ms, the same as
 * the raw reader's 1.9 ms for the same events (one wakeup on a shared machine, not the notifier's
 * doing); the notifier's own work, XREAD return → emit written, p50 0.10 / p99 0.79 ms; emit →
 * client p99 1.5 ms (the client's wakeup). The slowest 1% were mostly one late wakeup (~4-5 ms, the
 * scheduler's slice when other work holds both cores), once on either hop. The notifier's path pays
 * two wakeups where the raw reader pays one; that is the floor of the ratio. Its CPU per event went
 * to two socket writes (the frame's writev, then the next XREAD: ~60 and ~40 us of syscall under
 * load), then JSON parse plus the zod parse of the event (~a third of the work before the emit; now
 * a hand-written check first, `src/stream-entry.ts`). Socket.IO already encodes a broadcast once
 * (packet and websocket frame) for all its sockets, and Nagle is off on both sockets (ws, ioredis).
 * GC: a scavenge (1.5-3 ms, ~10 KB allocated per event, most by ioredis and Socket.IO) lands on an
 * event about once per 800: p99.9, not p99. One unfairness was the bench's own: the raw receiver
 * parsed and reported over IPC every event, the Socket.IO path's too, so while a notifier event
 * was in flight two more processes (the receiver, then the bench on its IPC message) woke on the
 * two cores; it now skips the other path's events unparsed, as the notifier does (no measurable
 * change in 5 rounds, but both paths' background work is now alike).
 * Five rounds each, round-robin in one sitting (4,000 events per path), notifier p99 median:
 * before 2.54 ms (raw 1.40, ratio median 1.69x), after 2.34 ms (raw 1.40, ratio median 1.74x,
 * range 1.23-2.08x); p50 0.32 -> 0.31 ms. The ratio moves with the raw reader's p99 (0.9-1.8 ms
 * between rounds) far more than with anything the notifier does.
 *
 * Figures print as a table and go to bench/results/events.json. Knobs (env): BENCH_EVENTS (per
 * path, default 4000), BENCH_LOG (the notifier's log level, default warn), BENCH_NODE_ARGS
 * (extra node flags for the notifier process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { createRedis, RedisBatchStore, RedisEventStream, waitReady } from '@fleet/redis';
import { benchSetting, figure, percentile, RedisServer, reportBench } from '@fleet/testing';
import { startNotifierProcess, stopChild } from './notifier-process.js';

const EVENTS = benchSetting('BENCH_EVENTS', 4000);
const WARMUP = 300;
const PREFIX = 'bench';
const KEY = { name: 'bench', role: 'admin', key: 'bench-key-0123456789abcdef' };

type Path = 'raw' | 'socket.io';

/** Waiters for events by sequence number, resolved by the path's receiver process. */
class Arrivals {
  private readonly waiting = new Map<number, (at: number) => void>();

  expect(seq: number): Promise<number> {
    return new Promise((resolve) => this.waiting.set(seq, resolve));
  }

  arrived(seq: number, at: number): void {
    const resolve = this.waiting.get(seq);
    if (!resolve) return;
    this.waiting.delete(seq);
    resolve(at);
  }
}

/** Now on CLOCK_MONOTONIC in ms, the clock the receiver processes stamp arrivals with. */
const now = () => Number(process.hrtime.bigint()) / 1e6;

/** Fork bench/receiver.ts in `mode`; resolves once it receives, feeding `arrivals`. */
async function startReceiver(
  mode: Path,
  env: Record<string, string>,
  arrivals: Arrivals,
): Promise<ChildProcess> {
  const child = fork(join(import.meta.dirname, 'receiver.ts'), [mode], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.on('message', (message: { ready?: boolean; seq?: number; at?: number }) => {
      if (message.ready) resolve();
      else if (typeof message.seq === 'number' && typeof message.at === 'number')
        arrivals.arrived(message.seq, message.at);
    });
    child.once('exit', (code) =>
      reject(new Error(`the ${mode} receiver exited (${code}) before it was ready`)),
    );
  });
  return child;
}

async function main(): Promise<void> {
  const server = await RedisServer.start();
  const publisher = createRedis(server.url, { role: 'worker' });
  await waitReady(publisher);
  const events = new RedisEventStream(publisher, PREFIX);
  const batches = new RedisBatchStore(publisher, PREFIX);
  // Each path's events go to a batch of its own; only the Socket.IO client subscribes to its one.
  const batchOf: Record<Path, string> = { raw: 'bench-raw', 'socket.io': 'bench-sio' };
  for (const id of Object.values(batchOf))
    await batches.create({ id, owner: null, pool: 'default', total: 1 });

  const arrivals: Record<Path, Arrivals> = { raw: new Arrivals(), 'socket.io': new Arrivals() };
  const notifier = await startNotifierProcess(server.url, PREFIX, KEY);
  const receivers = [
    await startReceiver(
      'raw',
      { BENCH_REDIS_URL: server.url, BENCH_STREAM_KEY: events.streamKey, BENCH_BATCH: batchOf.raw },
      arrivals.raw,
    ),
    await startReceiver(
      'socket.io',
      {
        BENCH_NOTIFIER_URL: `http://127.0.0.1:${notifier.port}`,
        BENCH_TOKEN: KEY.key,
        BENCH_BATCH: batchOf['socket.io'],
      },
      arrivals['socket.io'],
    ),
  ];

  let seq = 0;
  const measure = async (path: Path, n: number, samples?: number[]) => {
    for (let i = 0; i < n; i++) {
      const mine = ++seq;
      const arrived = arrivals[path].expect(mine);
      const t0 = now();
      await events.publish({
        type: 'item.completed',
        batchId: batchOf[path],
        itemId: `${batchOf[path]}.${mine}`,
        at: Date.now(),
        data: { seq: mine, progress: { total: 1, completed: 1, failed: 0 } },
      });
      const at = await arrived;
      samples?.push(at - t0);
    }
  };

  try {
    await measure('raw', WARMUP);
    await measure('socket.io', WARMUP);
    const samples: Record<Path, number[]> = { raw: [], 'socket.io': [] };
    for (let i = 0; i < EVENTS; i++) {
      const order: Path[] = i % 2 === 0 ? ['raw', 'socket.io'] : ['socket.io', 'raw'];
      for (const path of order) await measure(path, 1, samples[path]);
    }
    for (const path of ['raw', 'socket.io'] as Path[]) {
      const q = (x: number) => percentile(samples[path], x).toFixed(3);
      console.log(
        `${path.padEnd(9)} ms: p50 ${q(50)}  p90 ${q(90)}  p95 ${q(95)}  p99 ${q(99)}  p99.9 ${q(99.9)}  max ${q(100)}`,
      );
    }
    const p = (path: Path, q: number) => percentile(samples[path], q);
    console.log(
      `${samples.raw.length} events per path; raw p50 ${p('raw', 50).toFixed(3)} ms p99 ${p('raw', 99).toFixed(3)} ms; ` +
        `socket.io p50 ${p('socket.io', 50).toFixed(3)} ms p99 ${p('socket.io', 99).toFixed(3)} ms; ` +
        `p99 ratio ${(p('socket.io', 99) / p('raw', 99)).toFixed(2)}x (goal <= 2x)`,
    );
    reportBench('events', [
      figure({ name: 'raw XREAD BLOCK p50 (XADD → reader)', value: p('raw', 50), unit: 'ms' }),
      figure({ name: 'raw XREAD BLOCK p99 (XADD → reader)', value: p('raw', 99), unit: 'ms' }),
      figure({
        name: 'notifier p50 (XADD → Socket.IO client, vs raw)',
        value: p('socket.io', 50),
        unit: 'ms',
        baseline: p('raw', 50),
      }),
      figure({
        name: 'notifier p99 (XADD → Socket.IO client, vs raw)',
        value: p('socket.io', 99),
        unit: 'ms',
        baseline: p('raw', 99),
        goal: { atMost: 2 },
      }),
    ]);
  } finally {
    for (const receiver of receivers) await stopChild(receiver, 'SIGKILL');
    await stopChild(notifier.child);
    publisher.disconnect();
    await server.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
