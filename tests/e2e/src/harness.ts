import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { settingsEnv } from '@fleet/config';
import type { FleetEvent, ItemResult, PerSite, Step } from '@fleet/contracts';
import { BatchService, type LoggerPort } from '@fleet/core';
import { type RunningLauncher, startLauncher } from '@fleet/launcher';
import { createLogger } from '@fleet/logger';
import { MultiloginClient } from '@fleet/multilogin';
import { BullItemQueue, createItemsQueue, FairItemQueue, type ItemsQueue } from '@fleet/queue';
import {
  createRedis,
  type FleetRedis,
  RedisBatchStore,
  RedisEventStream,
  RedisFairShare,
  RedisProfileStore,
  RedisResultStore,
} from '@fleet/redis';
import {
  AppProcess,
  deletePrefix,
  type FixtureSite,
  startFixtureSite,
  testPrefix,
  testRedisSettings,
  testRedisTarget,
  type WaitForOptions,
  waitFor,
} from '@fleet/testing';
import {
  type RunningWorker,
  startWorker,
  type WorkerOverrides,
  type WorkerSettings,
  workerSchema,
  workerSettings,
} from '@fleet/worker';

export const EMAIL = 'e2e@fleet.local';
export const PASSWORD = 'e2e-password';
export const POOL = 'default';

export interface FleetOptions {
  profiles: number;
  /** Proxies per profile index (e.g. a broken one). */
  proxies?: Record<number, { type: 'http'; host: string; port: number }>;
}

/**
 * A whole fleet on loopback for one test file: its own key prefix on the run's redis-server, a real
 * launcher with real Chromium profiles registered in pool `default`, the fixture site, and workers
 * started in-process (or as child processes by the tests that kill them).
 */
export class Fleet {
  readonly prefix = testPrefix('e2e');
  readonly redis: FleetRedis = createRedis(testRedisTarget(), { role: 'worker' });
  readonly profiles = new RedisProfileStore(this.redis, this.prefix);
  readonly batches = new RedisBatchStore(this.redis, this.prefix);
  readonly results = new RedisResultStore(this.redis, this.prefix);
  readonly events = new RedisEventStream(this.redis, this.prefix);
  readonly queue: ItemsQueue = createItemsQueue(this.redis, this.prefix, { attempts: 2, backoffMs: 200 });
  readonly logger: LoggerPort = createLogger({
    name: 'e2e',
    level: process.env.E2E_LOG ?? 'silent',
    pretty: false,
  });
  readonly dataDir = mkdtempSync(join(tmpdir(), 'fleet-e2e-'));
  readonly workers: RunningWorker[] = [];
  /** Workers started as child processes. */
  readonly children: AppProcess[] = [];
  launcher!: RunningLauncher;
  site!: FixtureSite;
  profileIds: string[] = [];
  private seq = 0;

  static async start(options: FleetOptions): Promise<Fleet> {
    const fleet = new Fleet();
    fleet.site = await startFixtureSite();
    fleet.launcher = await startLauncher({
      dataDir: join(fleet.dataDir, 'launcher'),
      email: EMAIL,
      password: PASSWORD,
      stopTimeoutMs: 3000,
    });
    const client = fleet.client();
    const [folder] = await client.listFolders();
    for (let i = 0; i < options.profiles; i++) {
      const id = await client.createProfile({ name: `e2e-${i}`, folderId: folder!.id });
      const proxy = options.proxies?.[i];
      await fleet.profiles.register({
        id,
        pool: POOL,
        providerIds: { folderId: folder!.id },
        ...(proxy ? { proxy } : {}),
      });
      fleet.profileIds.push(id);
    }
    return fleet;
  }

  settings(overrides: Partial<WorkerSettings> = {}): WorkerSettings {
    return workerSettings({
      ...testRedisSettings(),
      prefix: this.prefix,
      workerPort: 0,
      workerConcurrency: 3,
      workerId: `e2e-worker-${++this.seq}`,
      artifactsDir: join(this.dataDir, 'artifacts'),
      leaseTtlMs: 6000,
      profileQuarantineMs: 60_000,
      jobLockMs: 6000,
      shutdownGraceMs: 10_000,
      resultRetentionSec: 3600,
      reclaimEveryMs: 1000,
      reclaimRestMs: 500,
      multiloginApiUrl: this.launcher.url,
      multiloginLauncherUrl: this.launcher.url,
      multiloginEmail: EMAIL,
      multiloginPassword: PASSWORD,
      // The guard stays on (the default); the fixture site is on loopback, so it is let through.
      allowedTargets: [`127.0.0.1:${this.site.port}`],
      ...overrides,
    });
  }

  /** Env for a worker child process equal to `settings()` (its logs at warn). */
  workerEnv(overrides: Partial<WorkerSettings> = {}): Record<string, string> {
    return { ...settingsEnv(workerSchema, this.settings(overrides)), LOG_LEVEL: 'warn' };
  }

  /** A worker as a child process (`WORKER_ID` names its log under `<dataDir>/logs`). */
  spawnWorker(overrides: Partial<WorkerSettings> = {}): AppProcess {
    const env = this.workerEnv(overrides);
    const logDir = join(this.dataDir, 'logs');
    mkdirSync(logDir, { recursive: true });
    const worker = AppProcess.app(env.WORKER_ID ?? 'worker', 'worker', env, { logDir });
    this.children.push(worker);
    return worker;
  }

  async startWorker(
    overrides: Partial<WorkerSettings> = {},
    parts: WorkerOverrides = {},
  ): Promise<RunningWorker> {
    const worker = await startWorker(this.settings(overrides), this.logger, parts);
    this.workers.push(worker);
    return worker;
  }

  async submit(
    steps: Step[],
    items: Record<string, string | number>[],
    extra: {
      itemTimeoutMs?: number;
      stepTimeoutMs?: number;
      pool?: string;
      batchId?: string;
      perSite?: PerSite;
      /** Through fair share as this API key (README "Sharing a fleet"), with its weight and cap. */
      tenant?: { name: string; weight?: number; maxRunning?: number };
    } = {},
  ) {
    const { batchId = `b${++this.seq}x${Date.now()}`, tenant, ...rest } = extra;
    const queue = tenant
      ? new FairItemQueue(this.queue, new RedisFairShare(this.redis, this.prefix), () => ({
          weight: tenant.weight ?? 1,
          cap: tenant.maxRunning ?? 0,
        }))
      : new BullItemQueue(this.queue);
    const service = new BatchService(this.batches, queue);
    const batch = await service.submit({
      batchId,
      pool: POOL,
      steps,
      items,
      ...rest,
      ...(tenant ? { owner: tenant.name } : {}),
    });
    return batch.id;
  }

  async eventsOf(batchId: string): Promise<FleetEvent[]> {
    return (await this.events.readAfter('-', 100_000)).filter((e) => e.batchId === batchId);
  }

  /** Wait until the batch's `batch.completed` event, then return its events. */
  async waitForBatch(batchId: string, timeoutMs = 90_000): Promise<FleetEvent[]> {
    const done = await waitFor(
      `batch ${batchId} to complete`,
      async () => {
        const events = await this.eventsOf(batchId);
        const completed = events.find((e) => e.type === 'batch.completed');
        // batch.completed comes from the worker that recorded the last item; another worker's
        // item event may land a moment later (DESIGN.md section 6): wait for every item's event.
        const finished = new Set(
          events.filter((e) => e.type === 'item.completed' || e.type === 'item.failed').map((e) => e.itemId),
        );
        return completed && finished.size >= Number((completed.data as { total: number }).total) && events;
      },
      { timeoutMs, intervalMs: 200 },
    ).catch(() => undefined);
    if (done) return done;
    // Say where it stuck: progress, and each item's job state and last failure.
    const progress = await this.results.progress(batchId);
    const jobs = await Promise.all(
      Array.from({ length: progress?.total ?? 0 }, async (_, i) => {
        const job = await this.queue.getJob(`${batchId}.${i}`);
        return job
          ? `${i}: ${await job.getState()} attempts=${job.attemptsMade} ${job.failedReason ?? ''}`
          : `${i}: no job`;
      }),
    );
    const events = (await this.eventsOf(batchId)).map(
      (e) => `${e.type} ${e.itemId ?? ''} ${JSON.stringify(e.data)}`,
    );
    throw new Error(
      `batch ${batchId} did not complete in ${timeoutMs} ms: ${JSON.stringify(progress)}\n` +
        `${jobs.join('\n')}\nevents:\n${events.join('\n')}`,
    );
  }

  async resultsOf(batchId: string, total: number): Promise<(ItemResult | null)[]> {
    return Promise.all(Array.from({ length: total }, (_, index) => this.results.get({ batchId, index })));
  }

  /** A provider client on the launcher (for status checks). */
  client(): MultiloginClient {
    return new MultiloginClient({
      apiUrl: this.launcher.url,
      launcherUrl: this.launcher.url,
      email: EMAIL,
      password: PASSWORD,
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers.map((w) => w.close(1000)), ...this.children.map((c) => c.kill())]);
    await this.queue.close();
    await this.launcher?.close();
    await this.site?.close();
    await deletePrefix(this.redis, this.prefix);
    this.redis.disconnect();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** How long e2e waits poll (a batch on real Chromium on a loaded machine takes its time). */
export const E2E_WAIT: WaitForOptions = { timeoutMs: 60_000, intervalMs: 100 };

export { waitFor } from '@fleet/testing';
