/**
 * Event latency: from the XADD of an event to a Socket.IO client receiving it through
 * the notifier, against a raw XREAD BLOCK client on the same stream, in the same run. Goal: the
 * notifier's p99 within 2x the raw client's.
 *
 * A throwaway redis-server; the notifier runs as `pnpm start` runs it (its own process, so its
 * work does not share an event loop with the measuring side). One event at a time: the next is
 * published when the previous one has arrived, so the figures are latency, not queueing. The two
 * paths take turns event by event (who goes first alternating), so a burst of load from elsewhere
 * on the machine lands on both alike; while one is measured the other still reads every event.
 * Each time is taken from before the XADD (the worker's real publish path) to the moment the
 * receiving callback runs, on one clock.
 *
 * What the ratio holds (measured on 2 cores shared with other work): the notifier path has one
 * process more to wake (Redis → notifier → client, against Redis → client). Its p50 is ~0.1 ms
 * above raw; its p99 stayed near 3 ms while the raw p99 moved between 0.7 and 1.9 ms from run to
 * run, so the ratio ranged 1.8-4.3x. The notifier's GC seems not to be it: a young generation 4x
 * larger (`--max-semi-space-size=64`) made no visible difference in three runs.
 *
 * Figures print as a table and go to bench/results/events.json. Knobs (env): BENCH_EVENTS (per
 * path, default 4000), BENCH_LOG (the notifier's log level, default warn), BENCH_NOTIFIER_NODE_ARGS
 * (extra node flags for the notifier process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRedis, type FleetRedis, RedisBatchStore, RedisEventStream, waitReady } from '@fleet/redis';
import { benchSetting, figure, freePort, percentile, RedisServer, reportBench, sleep } from '@fleet/testing';
import { io as connectSocket, type Socket } from 'socket.io-client';

const EVENTS = benchSetting('BENCH_EVENTS', 4000);
const WARMUP = 300;
const PREFIX = 'bench';
const KEY = { name: 'bench', role: 'admin', key: 'bench-key-0123456789abcdef' };

type Path = 'raw' | 'socket.io';

/** Waiters for events by sequence number, resolved by whichever receiver the path measures. */
class Arrivals {
  private readonly waiting = new Map<number, (at: number) => void>();

  expect(seq: number): Promise<number> {
    return new Promise((resolve) => this.waiting.set(seq, resolve));
  }

  arrived(seq: unknown): void {
    if (typeof seq !== 'number') return;
    const at = performance.now();
    const resolve = this.waiting.get(seq);
    if (!resolve) return;
    this.waiting.delete(seq);
    resolve(at);
  }
}

/** A plain XREAD BLOCK loop, the shape of the notifier's own reader, minus everything else. */
function rawReader(redis: FleetRedis, streamKey: string, arrivals: Arrivals): { stop(): void } {
  let stopped = false;
  void (async () => {
    const last = await redis.xrevrange(streamKey, '+', '-', 'COUNT', 1);
    let id = last[0]?.[0] ?? '0-0';
    while (!stopped) {
      const reply = (await redis
        .xread('COUNT', 500, 'BLOCK', 5000, 'STREAMS', streamKey, id)
        .catch(() => null)) as [string, [string, string[]][]][] | null;
      for (const [entryId, fields] of reply?.[0]?.[1] ?? []) {
        id = entryId;
        const json = fields[fields.indexOf('e') + 1];
        if (json) arrivals.arrived((JSON.parse(json) as { data: { seq?: number } }).data.seq);
      }
    }
  })();
  return {
    stop() {
      stopped = true;
      redis.disconnect();
    },
  };
}

async function startNotifierProcess(redisUrl: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const output: string[] = [];
  const child = spawn(
    process.execPath,
    [...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx', 'src/main.ts'],
    {
      cwd: join(import.meta.dirname, '..'),
      env: {
        ...process.env,
        REDIS_URL: redisUrl,
        FLEET_PREFIX: PREFIX,
        NOTIFIER_PORT: String(port),
        FLEET_API_KEYS: JSON.stringify([KEY]),
        LOG_LEVEL: process.env.BENCH_LOG ?? 'warn',
      },
      stdio: ['ignore', 'inherit', 'pipe'],
    },
  );
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the notifier exited at start:\n${output.join('')}`);
    const ok = await fetch(`http://127.0.0.1:${port}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { port, child };
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`the notifier was not ready within 30 s:\n${output.join('')}`);
}

async function connectClient(port: number, batchId: string, arrivals: Arrivals): Promise<Socket> {
  const socket = connectSocket(`http://127.0.0.1:${port}`, {
    auth: { token: KEY.key },
    transports: ['websocket'],
    reconnection: false,
  });
  socket.on('item.completed', (event: { data: { seq?: number } }) => arrivals.arrived(event.data.seq));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const ack = (await socket.timeout(10_000).emitWithAck('subscribe', { batchId })) as { ok: boolean };
  if (!ack.ok) throw new Error(`subscribe refused: ${JSON.stringify(ack)}`);
  return socket;
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
  const raw = rawReader(createRedis(server.url, { role: 'worker' }), events.streamKey, arrivals.raw);
  const notifier = await startNotifierProcess(server.url);
  const socket = await connectClient(notifier.port, batchOf['socket.io'], arrivals['socket.io']);

  let seq = 0;
  const measure = async (path: Path, n: number, samples?: number[]) => {
    for (let i = 0; i < n; i++) {
      const mine = ++seq;
      const arrived = arrivals[path].expect(mine);
      const t0 = performance.now();
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
    socket.disconnect();
    raw.stop();
    const exited = new Promise((resolve) => notifier.child.once('exit', resolve));
    notifier.child.kill('SIGTERM');
    await exited;
    publisher.disconnect();
    await server.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
