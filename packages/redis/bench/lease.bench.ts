/**
 * Lease benchmarks, on a throwaway redis-server:
 * - acquire+release pairs/s against a baseline of two trivial EVALSHA round trips (goal >= 0.5x);
 * - acquire latency at 100, 10k and 100k profiles (goal: 100k within 1.5x of 100);
 * - the failover safety's cost (DESIGN.md "Redis failover"): acquire+release pairs/s and acquire
 *   latency with `WAIT 1` after each acquire against the same without, on a master with one real
 *   replica (two redis-servers), in the same run.
 * Numbers and ratios print as a table and go to bench/results/lease.json.
 */
import { ProfileAllocationService } from '@fleet/core';
import { figure, percentile, RedisServer, reportBench, startReplicatedPair } from '@fleet/testing';
import { createRedis, type FleetRedis } from '../src/connection.js';
import { RedisProfileStore } from '../src/profile-store.js';

const CONCURRENCY = 16;
const PAIRS = 20_000;
const LATENCY_SAMPLES = 3000;
const policy = { cooldownMs: 0, failureThreshold: 5, quarantineMs: 60_000 };

async function timed(total: number, concurrency: number, op: () => Promise<unknown>): Promise<number> {
  let left = total;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await op();
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return total / seconds;
}

async function registerPool(store: RedisProfileStore, pool: string, n: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 200 }, async () => {
      while (next < n) {
        const i = next++;
        await store.register({ id: `${pool}-${i}`, pool });
      }
    }),
  );
}

/** Median and p99 of acquire alone (each followed by an untimed release, so the pool stays full). */
async function acquireLatency(service: ProfileAllocationService, pool: string) {
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const t = process.hrtime.bigint();
    const lease = await service.acquire({ pool }, 'bench');
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (!lease) throw new Error(`pool ${pool} ran dry`);
    await service.release(lease, 'success');
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/** Pairs/s and acquire latency on a master with a replica, with and without WAIT 1 after acquire. */
async function replicaWaitCost() {
  const pair = await startReplicatedPair();
  const redis: FleetRedis = createRedis(pair.master.url, { role: 'worker' });
  try {
    const out: Record<'plain' | 'wait', { pairs: number; p50: number; p99: number }> = {
      plain: { pairs: 0, p50: 0, p99: 0 },
      wait: { pairs: 0, p50: 0, p99: 0 },
    };
    // Interleaved rounds, so neither variant gets the machine's quieter moments.
    for (let round = 0; round < 2; round++) {
      for (const variant of ['plain', 'wait'] as const) {
        const store = new RedisProfileStore(redis, `bench-${variant}`, null, {
          ...(variant === 'wait' ? { replicaWait: { replicas: 1, timeoutMs: 1000 } } : {}),
        });
        if (round === 0) await registerPool(store, 'p100', 100);
        const service = new ProfileAllocationService(store, { leaseTtlMs: 60_000, release: policy });
        const pairs = await timed(PAIRS / 2, CONCURRENCY, async () => {
          const lease = await service.acquire({ pool: 'p100' }, 'bench');
          if (lease) await service.release(lease, 'success');
        });
        const latency = await acquireLatency(service, 'p100');
        if (store.unconfirmedAcquires > 0)
          throw new Error(`${store.unconfirmedAcquires} acquires unconfirmed`);
        const o = out[variant];
        o.pairs += pairs / 2;
        o.p50 += latency.p50 / 2;
        o.p99 += latency.p99 / 2;
      }
    }
    return out;
  } finally {
    redis.disconnect();
    await pair.close();
  }
}

async function main(): Promise<void> {
  const server = await RedisServer.start();
  const redis: FleetRedis = createRedis(server.url, { role: 'worker' });
  try {
    const store = new RedisProfileStore(redis, 'bench');
    const service = new ProfileAllocationService(store, { leaseTtlMs: 60_000, release: policy });

    // Baseline: the cheapest possible pair of script round trips on the same connection.
    redis.defineCommand('benchNoop', { numberOfKeys: 1, lua: 'return 1' });
    const noop = (redis as unknown as { benchNoop(key: string): Promise<number> }).benchNoop.bind(redis);
    await timed(2000, CONCURRENCY, () => noop('bench:{noop}')); // warm-up
    const baseline = await timed(PAIRS, CONCURRENCY, async () => {
      await noop('bench:{noop}');
      await noop('bench:{noop}');
    });

    await registerPool(store, 'p100', 100);
    await timed(2000, CONCURRENCY, async () => {
      const l = await service.acquire({ pool: 'p100' }, 'bench');
      if (l) await service.release(l, 'success');
    });
    const pairs = await timed(PAIRS, CONCURRENCY, async () => {
      const lease = await service.acquire({ pool: 'p100' }, 'bench');
      if (lease) await service.release(lease, 'success');
    });

    const latency: Record<string, { p50: number; p99: number }> = {};
    for (const [pool, n] of [
      ['p100', 100],
      ['p10k', 10_000],
      ['p100k', 100_000],
    ] as const) {
      if (n > 100) {
        const t = Date.now();
        await registerPool(store, pool, n);
        console.log(`registered ${n} profiles in ${Date.now() - t} ms`);
      }
      latency[pool] = await acquireLatency(service, pool);
    }
    const l100 = latency.p100!;
    const replicated = await replicaWaitCost();
    reportBench('lease', [
      figure({
        name: 'acquire+release pairs/s (vs 2 no-op EVALSHA)',
        value: pairs,
        unit: 'pairs/s',
        baseline,
        goal: { atLeast: 0.5 },
      }),
      figure({ name: 'acquire p50 @100 profiles', value: l100.p50, unit: 'ms' }),
      figure({ name: 'acquire p99 @100 profiles', value: l100.p99, unit: 'ms' }),
      figure({
        name: 'acquire p50 @10k (vs @100)',
        value: latency.p10k!.p50,
        unit: 'ms',
        baseline: l100.p50,
      }),
      figure({
        name: 'acquire p50 @100k (vs @100)',
        value: latency.p100k!.p50,
        unit: 'ms',
        baseline: l100.p50,
        goal: { atMost: 1.5 },
      }),
      figure({
        name: 'acquire p99 @100k (vs @100)',
        value: latency.p100k!.p99,
        unit: 'ms',
        baseline: l100.p99,
      }),
      figure({
        name: 'acquire+release pairs/s with WAIT 1 after acquire (vs without; master + 1 replica)',
        value: replicated.wait.pairs,
        unit: 'pairs/s',
        baseline: replicated.plain.pairs,
      }),
      figure({
        name: 'acquire p50 with WAIT 1 (vs without; master + 1 replica)',
        value: replicated.wait.p50,
        unit: 'ms',
        baseline: replicated.plain.p50,
      }),
      figure({
        name: 'acquire p99 with WAIT 1 (vs without; master + 1 replica)',
        value: replicated.wait.p99,
        unit: 'ms',
        baseline: replicated.plain.p99,
      }),
    ]);
  } finally {
    redis.disconnect();
    await server.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
