import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FleetEvent, Step } from '@fleet/contracts';
import { BatchService } from '@fleet/core';
import { MultiloginClient } from '@fleet/multilogin';
import { BullItemQueue, createItemsQueue, type ItemsQueue } from '@fleet/queue';
import {
  createRedis,
  type FleetRedis,
  RedisBatchStore,
  RedisEventStream,
  RedisProfileStore,
  RedisResultStore,
  redisTargetEnv,
} from '@fleet/redis';
import {
  type AppProcess,
  ProcessFleet,
  RedisSentinelGroup,
  RedisServer,
  sleep,
  TEST_KEYS,
} from '@fleet/testing';
import { type Audit, auditBatch, eventsOf } from './audit.js';
import { type HoldSite, startHoldSite } from './hold-site.js';

const EMAIL = 'faults@fleet.local';
const PASSWORD = 'faults-password';
export const POOL = 'default';

export interface FaultFleetOptions {
  profiles: number;
  /** How long each `/hold` page load takes. */
  holdMs?: number;
  /** Worker settings (env names) for every worker of this fleet. */
  workerEnv?: Record<string, string>;
  /**
   * `sentinel`: a master, 2 replicas and 3 Sentinels (`RedisSentinelGroup`, passwords on data
   * nodes and Sentinels) instead of one redis-server; every process connects through the Sentinels.
   */
  redis?: 'single' | 'sentinel';
}

/** Data nodes keep what Fleet needs of a production Redis. */
const DATA_ARGS = ['--maxmemory-policy', 'noeviction'];

/**
 * A whole fleet of real processes on loopback for one fault scenario: its own redis-server (AOF,
 * so a stopped-and-started server keeps its data, as a production Redis would), the launcher and
 * workers as child processes (the tests kill, pause and restart them), the hold site with one
 * proxy per profile. Batches are submitted through BatchService in the test process.
 */
export class FaultFleet {
  readonly dir = mkdtempSync(join(tmpdir(), 'fleet-faults-'));
  readonly prefix = 'faults';
  readonly workers: AppProcess[] = [];
  readonly retired: AppProcess[] = [];
  /** Other app processes (the API), stopped at close. */
  readonly apps: AppProcess[] = [];
  profileIds: string[] = [];
  launcher!: AppProcess;
  launcherUrl = '';
  /** The one redis-server (absent in `sentinel` mode). */
  server!: RedisServer;
  /** The Sentinel group (`sentinel` mode only). */
  sentinel: RedisSentinelGroup | undefined;
  site!: HoldSite;
  /** The processes themselves (launcher, API, workers), spawned with the fleet's wiring. */
  processes!: ProcessFleet;
  redis!: FleetRedis;
  queue!: ItemsQueue;
  profiles!: RedisProfileStore;
  results!: RedisResultStore;
  events!: RedisEventStream;
  private launcherPort = 0;
  private seq = 0;

  private constructor(private readonly options: FaultFleetOptions) {}

  /** The fleet of one test file: started before its tests, closed after them. */
  static forThisFile(options: FaultFleetOptions): FaultFleet {
    const fleet = new FaultFleet(options);
    beforeAll(() => fleet.start(), 120_000);
    afterAll(() => fleet.close(), 60_000);
    return fleet;
  }

  private async start(): Promise<void> {
    if (this.options.redis === 'sentinel') {
      this.sentinel = await RedisSentinelGroup.start({
        password: 'faults-data-secret',
        sentinelPassword: 'faults-sentinel-secret',
        args: DATA_ARGS,
      });
    } else {
      this.server = await RedisServer.start({
        args: ['--appendonly', 'yes', '--appendfsync', 'always', ...DATA_ARGS],
      });
    }
    this.site = await startHoldSite(this.options.profiles, this.options.holdMs ?? 150);
    this.processes = new ProcessFleet({
      dir: this.dir,
      redisUrl: this.sentinel ? '' : this.server.url,
      ...(this.sentinel ? { redisEnv: redisTargetEnv(this.sentinel.target()) } : {}),
      prefix: this.prefix,
      credentials: { email: EMAIL, password: PASSWORD },
      apiKeys: [TEST_KEYS.ops],
      allowedTargets: this.site.hostPort,
    });
    this.redis = createRedis(this.sentinel ? this.sentinel.target() : this.server.url, {
      role: 'worker',
      name: 'faults-test',
    });
    this.redis.on('error', () => {}); // outages are the point; commands wait for the reconnect
    this.queue = createItemsQueue(this.redis, this.prefix, { attempts: 3, backoffMs: 200 });
    this.queue.on('error', () => {}); // likewise
    this.profiles = new RedisProfileStore(this.redis, this.prefix);
    this.results = new RedisResultStore(this.redis, this.prefix);
    this.events = new RedisEventStream(this.redis, this.prefix);
    this.launcherPort = await this.processes.freePort();
    await this.startLauncher();
    const client = this.client();
    const [folder] = await client.listFolders();
    for (let i = 0; i < this.options.profiles; i++) {
      const id = await client.createProfile({ name: `fault-${i}`, folderId: folder!.id });
      await this.profiles.register({
        id,
        pool: POOL,
        providerIds: { folderId: folder!.id },
        proxy: this.site.proxies[i]!,
      });
      this.profileIds.push(id);
    }
  }

  get logDir(): string {
    return this.processes.logDir;
  }

  get launcherDataDir(): string {
    return this.processes.launcherDir;
  }

  /** The launcher on its port (a restart keeps it: workers know the URL). */
  async startLauncher(): Promise<void> {
    this.launcher = await this.processes.start('launcher', {
      port: this.launcherPort,
      env: { LAUNCHER_STOP_TIMEOUT_MS: '3000' },
    });
    this.launcherUrl = this.processes.url('launcher');
  }

  client(): MultiloginClient {
    return new MultiloginClient({
      apiUrl: this.launcherUrl,
      launcherUrl: this.launcherUrl,
      email: EMAIL,
      password: PASSWORD,
    });
  }

  workerEnv(id: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...this.processes.envFor('worker', 0),
      WORKER_ID: id,
      WORKER_CONCURRENCY: '2',
      WARM_IDLE_MS: '1000',
      LEASE_TTL_MS: '3000',
      JOB_LOCK_MS: '3000',
      SHUTDOWN_GRACE_MS: '5000',
      RECLAIM_EVERY_MS: '500',
      RECLAIM_REST_MS: '250',
      PROFILE_COOLDOWN_MS: '0',
      ...this.options.workerEnv,
      ...extra,
    };
  }

  /** The notifier as a process on a free port (the API's keys). */
  async startNotifier(): Promise<{ proc: AppProcess; port: number }> {
    const proc = await this.processes.start('notifier');
    this.apps.push(proc);
    return { proc, port: Number(new URL(this.processes.url('notifier')).port) };
  }

  /** The API as a process on a free port, with the admin test key. */
  async startApi(): Promise<{ proc: AppProcess; url: string; key: string }> {
    const proc = await this.processes.start('api', { env: { API_RATE_LIMIT_PER_MINUTE: '0' } });
    this.apps.push(proc);
    return { proc, url: this.processes.url('api'), key: TEST_KEYS.ops.key };
  }

  /** A new worker process (its id is `w<n>`). */
  spawnWorker(extra: Record<string, string> = {}): AppProcess {
    const id = `w${++this.seq}`;
    const worker = this.processes.spawn(id, 'worker', this.workerEnv(id, extra));
    this.workers.push(worker);
    return worker;
  }

  /** Workers still running (killed ones move to `retired`). */
  live(): AppProcess[] {
    for (const w of [...this.workers]) {
      if (!w.running) {
        this.workers.splice(this.workers.indexOf(w), 1);
        this.retired.push(w);
      }
    }
    return this.workers.filter((w) => w.running);
  }

  /** Worker ids holding a lease right now. */
  async holders(): Promise<Set<string>> {
    const owners = new Set<string>();
    for (const id of this.profileIds) {
      const owner = (await this.profiles.get(id))?.lease?.owner;
      if (owner) owners.add(owner);
    }
    return owners;
  }

  /** A batch of `total` items: two held page loads each, then the item's number read back. */
  async submit(total: number): Promise<string> {
    const steps: Step[] = [
      { goto: `${this.site.url}/hold?item={{i}}&step=1` },
      { goto: `${this.site.url}/hold?item={{i}}&step=2` },
      { extract: { name: 'item', selector: '#item' } },
    ];
    const service = new BatchService(
      new RedisBatchStore(this.redis, this.prefix),
      new BullItemQueue(this.queue),
    );
    const batch = await service.submit({
      batchId: `fault${Date.now()}`,
      pool: POOL,
      steps,
      items: Array.from({ length: total }, (_, i) => ({ i })),
      itemTimeoutMs: 60_000,
      stepTimeoutMs: 15_000,
    });
    return batch.id;
  }

  async progress(batchId: string) {
    return this.results.progress(batchId);
  }

  /** Waits until every item of the batch is recorded (or the time is up: the audit counts the rest as lost). */
  async waitForBatch(batchId: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await this.progress(batchId))?.done) return true;
      await sleep(250);
    }
    return false;
  }

  eventsOf(batchId: string): Promise<FleetEvent[]> {
    return eventsOf(this.events, batchId);
  }

  /** The loss columns for a batch (`auditBatch`): results, events, visit log, leases, browsers. */
  audit(batchId: string, total: number): Promise<Audit> {
    return auditBatch(
      {
        redis: this.redis,
        prefix: this.prefix,
        queue: this.queue,
        results: this.results,
        events: this.events,
        site: this.site,
        leased: async () => (await this.profiles.counts(POOL)).leased,
        launcherDirs: [this.launcherDataDir],
      },
      batchId,
      total,
    );
  }

  /** Workers that died without being told to (a crash, not a test's kill). */
  crashes(): AppProcess[] {
    return this.processes.crashes();
  }

  /** SIGTERM to every worker (exit codes returned), then everything else down; the directory goes. */
  async stopWorkers(graceMs = 15_000): Promise<(number | string)[]> {
    return Promise.all(this.live().map((w) => w.stop(graceMs)));
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers, ...this.retired, ...this.apps].map((w) => w.kill()));
    await this.launcher?.stop(10_000);
    await this.processes?.kill();
    await this.queue?.close().catch(() => {});
    this.redis?.disconnect();
    await this.site?.close();
    await this.server?.close();
    await this.sentinel?.stop();
    if (!process.env.FAULTS_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }
}
