/**
 * One "worker host" of the scale-out benchmark (scaleout.bench.ts forks it; not a deployable). It
 * reads the worker's own settings from the environment, like src/main.ts, and for each run of the
 * benchmark starts, on the parent's word and under the run's key prefix, either
 *
 * - `fleet`: the real worker (`startWorker`: BullMQ, leases, claims, results, events, reclaim) with
 *   a driver that sleeps instead of browsing and core's MemoryProvider (a start answers at once), or
 * - `raw`: a plain BullMQ Worker on the same queue whose jobs sleep alike, with the worker's
 *   concurrency and job-lock settings.
 *
 * An item sleeps BENCH_SLEEP_MS x (0.5 .. 1.5) (`ItemDurations`), or with BENCH_FETCH=1 asks its
 * first goto's page to answer after that long (the fairness bench's site counts what runs): durations that vary keep the
 * slots from finishing in lockstep, which made a window's count jump by a whole host's concurrency.
 * The process stays up between runs, so a run pays no Node start.
 *
 * IPC: `{type: 'start', mode, prefix, workerId}` → `{type: 'ready'}`; `{type: 'count'}` →
 * `HostCount`; `{type: 'stop'}` → `{type: 'stopped'}`. It exits when the parent goes away.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfigOrExit } from '@fleet/config';
import type { Step } from '@fleet/contracts';
import { type BrowserDriver, NonRetryableError, type RunStepsOptions, type StepsOutcome } from '@fleet/core';
import { MemoryProvider } from '@fleet/core/testing';
import { createLogger } from '@fleet/logger';
import { ITEMS_QUEUE } from '@fleet/queue';
import { createRedis, waitReady } from '@fleet/redis';
import { Worker } from 'bullmq';
import { type WorkerSettings, workerSchema } from '../src/config.js';
import { startWorker } from '../src/worker.js';

export type HostMode = 'fleet' | 'raw';

export interface HostCount {
  type: 'count';
  /** Items finished (Fleet: recorded completed) by the running worker. */
  completed: number;
  failed: number;
  /** Items that found no free profile (Fleet only): 0 shows leases were not the limit. */
  acquireWaits: number;
  /** This process's CPU time so far (user + system), µs. */
  cpuUs: number;
}

export type HostRequest =
  | { type: 'start'; mode: HostMode; prefix: string; workerId: string }
  | { type: 'count' }
  | { type: 'stop' };

export type HostReply = { type: 'ready' } | { type: 'stopped' } | HostCount;

const GOLDEN = (Math.sqrt(5) - 1) / 2;

/**
 * Item durations around a mean: `ms` x (0.5 + f) with f stepping by the golden ratio's fraction
 * (mod 1). The fractions spread evenly over [0, 1), so the mean of any run of consecutive items is
 * within a hair of `ms` (random draws would put ~2% noise on a 240-item window), and the slots
 * still fall out of step at once.
 */
export class ItemDurations {
  private f: number;

  constructor(
    private readonly ms: number,
    seed: number,
  ) {
    this.f = (seed * GOLDEN) % 1;
  }

  next(): number {
    this.f = (this.f + GOLDEN) % 1;
    return Math.round(this.ms * (0.5 + this.f));
  }
}

/** A browser stand-in: every run sleeps an item's duration, ends early (ABORTED) on its signal. */
export class SleepingDriver implements BrowserDriver {
  constructor(private readonly durations: ItemDurations) {}

  async run(_endpoint: unknown, _steps: Step[], options: RunStepsOptions): Promise<StepsOutcome> {
    try {
      await sleep(this.durations.next(), undefined, { signal: options.signal });
    } catch {
      throw new NonRetryableError('ABORTED', 'the run was aborted');
    }
    return { data: {}, artifacts: {}, url: null, title: null };
  }
}

/**
 * A browser stand-in that asks the item's first `goto` page for its duration (`?ms=`) and waits
 * for the answer (BENCH_FETCH=1): the fairness bench's site sees every running item, by tenant.
 */
export class FetchingDriver implements BrowserDriver {
  constructor(private readonly durations: ItemDurations) {}

  async run(_endpoint: unknown, steps: Step[], options: RunStepsOptions): Promise<StepsOutcome> {
    const first = steps[0];
    const url = first && 'goto' in first ? String(first.goto) : null;
    if (!url) throw new NonRetryableError('STEP_FAILED', 'the fetching driver needs a goto first');
    const ms = this.durations.next();
    try {
      const res = await fetch(`${url}${url.includes('?') ? '&' : '?'}ms=${ms}`, { signal: options.signal });
      await res.arrayBuffer();
    } catch {
      throw new NonRetryableError('ABORTED', 'the run was aborted or the page did not answer');
    }
    return { data: {}, artifacts: {}, url, title: null };
  }
}

type Counts = Omit<HostCount, 'type' | 'cpuUs'>;

interface RunningHost {
  count(): Promise<Counts>;
  close(): Promise<void>;
}

async function fleetHost(
  settings: WorkerSettings,
  logLevel: string,
  durations: ItemDurations,
): Promise<RunningHost> {
  const logger = createLogger({ name: 'bench-host', level: logLevel, pretty: false });
  const worker = await startWorker(settings, logger, {
    driver: process.env.BENCH_FETCH === '1' ? new FetchingDriver(durations) : new SleepingDriver(durations),
    provider: new MemoryProvider(),
  });
  const counted = async (name: string, state?: string) => {
    const metric = await worker.metrics.registry.getSingleMetric(name)?.get();
    return (metric?.values ?? [])
      .filter((v) => state === undefined || v.labels.state === state)
      .reduce((sum, v) => sum + v.value, 0);
  };
  return {
    count: async () => ({
      completed: await counted('fleet_items_total', 'completed'),
      failed: await counted('fleet_items_total', 'failed'),
      acquireWaits: await counted('fleet_lease_acquire_waits_total'),
    }),
    close: () => worker.close(1000),
  };
}

async function rawHost(settings: WorkerSettings, durations: ItemDurations): Promise<RunningHost> {
  const connection = createRedis(settings.redisUrl, {
    role: 'worker',
    name: `bench-raw:${settings.workerId}`,
  });
  await waitReady(connection, 30_000);
  // The options createItemsWorker gives Fleet's BullMQ Worker, nothing else.
  const worker = new Worker(ITEMS_QUEUE, () => sleep(durations.next()), {
    connection,
    prefix: settings.prefix,
    concurrency: settings.workerConcurrency,
    lockDuration: settings.jobLockMs,
    stalledInterval: settings.jobLockMs,
    maxStalledCount: 2,
  });
  worker.on('error', (err) => console.error('raw worker error:', err));
  let completed = 0;
  let failed = 0;
  worker.on('completed', () => completed++);
  worker.on('failed', () => failed++);
  await worker.waitUntilReady();
  return {
    count: async () => ({ completed, failed, acquireWaits: 0 }),
    close: async () => {
      await worker.close();
      connection.disconnect();
    },
  };
}

const send = (message: HostReply) => process.send?.(message);

async function main(): Promise<void> {
  if (!process.send) throw new Error('scaleout-host runs as a forked child of scaleout.bench.ts');
  const config = loadConfigOrExit(workerSchema);
  const base: WorkerSettings = config.getProperties();
  const sleepMs = Number(process.env.BENCH_SLEEP_MS);
  const seed = Number(process.env.BENCH_SEED ?? 1);
  if (!Number.isInteger(sleepMs) || sleepMs < 0) throw new Error('BENCH_SLEEP_MS must be a whole number');
  const durations = new ItemDurations(sleepMs, seed);

  let running: RunningHost | null = null;
  const handle = async (request: HostRequest): Promise<HostReply> => {
    switch (request.type) {
      case 'start': {
        if (running) throw new Error('a run is already going');
        const settings = { ...base, prefix: request.prefix, workerId: request.workerId };
        running =
          request.mode === 'fleet'
            ? await fleetHost(settings, config.get('logLevel'), durations)
            : await rawHost(settings, durations);
        return { type: 'ready' };
      }
      case 'count': {
        if (!running) throw new Error('no run is going');
        const cpu = process.cpuUsage();
        return { type: 'count', ...(await running.count()), cpuUs: cpu.user + cpu.system };
      }
      case 'stop':
        await running?.close();
        running = null;
        return { type: 'stopped' };
    }
  };
  // One request at a time, in order: the parent waits for each reply.
  let queue = Promise.resolve();
  process.on('message', (request: HostRequest) => {
    queue = queue.then(() =>
      handle(request).then(
        (reply) => {
          send(reply);
        },
        (error) => {
          console.error('scaleout host failed:', error);
          process.exit(1);
        },
      ),
    );
  });
  process.on('disconnect', () => {
    void Promise.resolve(running?.close()).finally(() => process.exit(0));
  });
}

main().catch((error) => {
  console.error('scaleout host failed:', error);
  process.exit(1);
});
