import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Step } from '@fleet/contracts';
import { type Audit, auditBatch, type HoldSite, startHoldSite } from '@fleet/faults/support';
import { MultiloginClient } from '@fleet/multilogin';
import { createItemsQueue, type ItemsQueue } from '@fleet/queue';
import {
  createRedis,
  type FleetRedis,
  RedisEventStream,
  RedisProfileStore,
  RedisResultStore,
} from '@fleet/redis';
import {
  AppProcess,
  type FaultProxy,
  ProcessFleet,
  REPO_ROOT,
  RedisServer,
  sleep,
  startFaultProxy,
  TEST_KEYS,
} from '@fleet/testing';
import { type BedHost, HostBed } from './host-bed.js';

/** HOSTS_PROFILE=long: the long faults (a 60 s partition) and bigger batches. */
export const LONG = process.env.HOSTS_PROFILE === 'long';

export function size(short: number, long: number): number {
  return LONG ? long : short;
}

const EMAIL = 'hosts@fleet.local';
const PASSWORD = 'hosts-password';
export const POOL = 'default';
const PREFIX = 'hosts';
/** Short, so a partition longer than a lease is quick to make. */
export const LEASE_TTL_MS = 6000;

/** The faults put on every worker's path to Redis and the launchers' APIs (fault 3). */
export const PATH_FAULTS = { latencyMs: 50, jitterMs: 20, dropEveryMs: 3000, dropProbability: 0.5 };

/**
 * One worker host: its launcher (own data dir and Chromiums), its workers, the profiles it holds.
 * A launcher-only host (`l1…`) has no workers.
 */
export interface WorkerHost {
  name: string;
  host: BedHost;
  processes: ProcessFleet;
  launcher: AppProcess;
  /** The fault proxy in front of the launcher's API (launcher-proxy.ts), on the host. */
  launcherProxy: AppProcess;
  /** The proxy's URL: the home registered with the host's profiles, and its workers' launcher. */
  launcherUrl: string;
  /** Profiles whose browser data lives on this host's launcher, with their hold-site proxy index. */
  profiles: { id: string; index: number }[];
  workers: AppProcess[];
  /** Deleted from the bed (a host lost). */
  lost: boolean;
}

/** A batch as submitted. */
export interface Run {
  batchId: string;
  total: number;
}

export interface HostFleetOptions {
  workerHosts: number;
  /** Hosts running only a launcher with its profiles (`l1…`), no workers. */
  launcherHosts?: number;
  profilesPerHost: number;
  /** How long each `/hold` page load takes. */
  holdMs?: number;
}

/**
 * Fleet on simulated hosts (a `HostBed`): redis-server on host `redis`, API and notifier on host
 * `api`, and worker hosts `h1…hN`, each with its own launcher and worker(s). Every process binds
 * its host's address and reaches the others at theirs. Each host's profiles are registered with
 * its launcher as their home (DESIGN.md section 7, placement), all in one pool: any worker leases
 * any of them and drives it on its home. The hold site (and one proxy per profile, so each page
 * load names the profile that made it) listens on the bridge, in this process.
 */
export class HostFleet {
  readonly dir = mkdtempSync(join(tmpdir(), 'fleet-hosts-'));
  bed!: HostBed;
  server!: RedisServer;
  site!: HoldSite;
  redis!: FleetRedis;
  /** The API and the notifier. */
  services!: ProcessFleet;
  apiUrl = '';
  readonly hosts: WorkerHost[] = [];
  queue!: ItemsQueue;
  results!: RedisResultStore;
  events!: RedisEventStream;
  profiles!: RedisProfileStore;
  /** REDIS_URL of workers spawned from now on (Redis itself, or a fault proxy in front of it). */
  workerRedisUrl = '';
  private seq = 0;

  private constructor(readonly options: HostFleetOptions) {}

  /** The fleet of one test file, or undefined (and the file's tests skipped) where no bed can be made. */
  static forThisFile(options: HostFleetOptions): HostFleet | undefined {
    if (process.env.HOSTS_UNAVAILABLE || HostBed.unavailable()) return undefined;
    const fleet = new HostFleet(options);
    beforeAll(() => fleet.start(), 300_000);
    afterAll(() => fleet.close(), 120_000);
    return fleet;
  }

  get hostCount(): number {
    return this.hosts.length;
  }

  private async start(): Promise<void> {
    const names = Array.from({ length: this.options.workerHosts }, (_, i) => `h${i + 1}`);
    names.push(...Array.from({ length: this.options.launcherHosts ?? 0 }, (_, i) => `l${i + 1}`));
    this.bed = HostBed.create(['redis', 'api', ...names]);
    const redisHost = this.bed.host('redis');
    this.server = await RedisServer.start({
      host: redisHost.address,
      prefix: redisHost.prefix,
      args: ['--protected-mode', 'no', '--maxmemory-policy', 'noeviction'],
    });
    this.workerRedisUrl = this.server.url;
    this.redis = createRedis(this.server.url, { role: 'worker', name: 'hosts-test' });
    this.redis.on('error', () => {});
    this.queue = createItemsQueue(this.redis, PREFIX, { attempts: 5, backoffMs: 300 });
    this.queue.on('error', () => {});
    this.results = new RedisResultStore(this.redis, PREFIX);
    this.events = new RedisEventStream(this.redis, PREFIX);
    this.profiles = new RedisProfileStore(this.redis, PREFIX);
    const profiles = names.length * this.options.profilesPerHost;
    this.site = await startHoldSite(profiles, this.options.holdMs ?? 150, this.bed.gateway);
    await Promise.all(names.map((name) => this.startWorkerHost(name)));
    await this.startServices();
    for (const host of this.hosts) await this.createProfiles(host);
    for (const host of this.hosts) if (!host.name.startsWith('l')) this.spawnWorker(host);
  }

  private fleetOptions(name: string, host: BedHost) {
    return {
      dir: join(this.dir, name),
      redisUrl: this.server.url,
      prefix: PREFIX,
      credentials: { email: EMAIL, password: PASSWORD },
      apiKeys: [TEST_KEYS.ops],
      allowedTargets: '10.231.0.0/16',
      host: { address: host.address, prefix: host.prefix },
      readyMs: 120_000,
    };
  }

  private async startWorkerHost(name: string): Promise<void> {
    const host = this.bed.host(name);
    const processes = new ProcessFleet(this.fleetOptions(name, host));
    const launcher = await processes.start('launcher', { env: { LAUNCHER_STOP_TIMEOUT_MS: '3000' } });
    const port = await processes.freePort();
    const launcherProxy = new AppProcess(
      'launcher-proxy',
      process.execPath,
      ['--import', 'tsx', 'src/support/launcher-proxy.ts'],
      {
        cwd: join(REPO_ROOT, 'tests', 'hosts'),
        logDir: processes.logDir,
        prefix: host.prefix,
        env: {
          PROXY_HOST: host.address,
          PROXY_PORT: String(port),
          PROXY_TARGET_PORT: String(processes.ports.get('launcher')),
          PROXY_SEED: String(this.bed.hosts.indexOf(host)),
          PROXY_LATENCY_MS: String(PATH_FAULTS.latencyMs),
          PROXY_JITTER_MS: String(PATH_FAULTS.jitterMs),
          PROXY_DROP_EVERY_MS: String(PATH_FAULTS.dropEveryMs),
          PROXY_DROP_PROBABILITY: String(PATH_FAULTS.dropProbability),
        },
      },
    );
    processes.apps.push(launcherProxy); // stopped, killed and watched for crashes with the host's apps
    const launcherUrl = `http://${host.address}:${port}`;
    await launcherProxy.waitHttp(`${launcherUrl}/api/v1/version`, 60_000);
    this.hosts.push({
      name,
      host,
      processes,
      launcher,
      launcherProxy,
      launcherUrl,
      profiles: [],
      workers: [],
      lost: false,
    });
    this.hosts.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  }

  /** API and notifier on host `api`; the API's provider is the first worker host's launcher. */
  private async startServices(): Promise<void> {
    this.services = new ProcessFleet(this.fleetOptions('services', this.bed.host('api')));
    const notifierPort = await this.services.freePort();
    this.services.ports.set('notifier', notifierPort);
    const first = this.hosts[0]!;
    await Promise.all([
      this.services.start('notifier', { port: notifierPort }),
      this.services.start('api', {
        env: {
          API_RATE_LIMIT_PER_MINUTE: '0',
          MULTILOGIN_API_URL: first.launcherUrl,
          MULTILOGIN_LAUNCHER_URL: first.launcherUrl,
          MULTILOGIN_EMAIL: EMAIL,
          MULTILOGIN_PASSWORD: PASSWORD,
        },
      }),
    ]);
    this.apiUrl = this.services.url('api');
  }

  /** The host's profiles, made on its launcher and registered through the API with it as their home. */
  private async createProfiles(host: WorkerHost): Promise<void> {
    const client = new MultiloginClient({
      apiUrl: host.launcherUrl,
      launcherUrl: host.launcherUrl,
      email: EMAIL,
      password: PASSWORD,
    });
    const [folder] = await client.listFolders();
    for (let i = 0; i < this.options.profilesPerHost; i++) {
      const index = this.hosts.indexOf(host) * this.options.profilesPerHost + i;
      const id = await client.createProfile({ name: `${host.name}-${i}`, folderId: folder!.id });
      await this.api('POST', '/v1/profiles', {
        id,
        pool: POOL,
        folderId: folder!.id,
        proxy: this.site.proxies[index],
        launcher: host.launcherUrl,
        tags: [host.name], // a batch can ask for one host's profiles
      });
      host.profiles.push({ id, index });
    }
  }

  /** An API call with the admin test key; fails on any answer but 2xx. */
  async api(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TEST_KEYS.ops.key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  workerEnv(host: WorkerHost, id: string): Record<string, string> {
    return {
      ...host.processes.envFor('worker', 0),
      REDIS_URL: this.workerRedisUrl,
      // Its own launcher through the proxy, as the profiles' homes are registered.
      MULTILOGIN_API_URL: host.launcherUrl,
      MULTILOGIN_LAUNCHER_URL: host.launcherUrl,
      // Stall counting is per host; the bed's namespaces share the machine's hostname.
      WORKER_HOST: host.name,
      WORKER_ID: id,
      WORKER_CONCURRENCY: '2',
      WARM_IDLE_MS: '1000',
      LEASE_TTL_MS: String(LEASE_TTL_MS),
      JOB_LOCK_MS: String(LEASE_TTL_MS),
      SHUTDOWN_GRACE_MS: '5000',
      RECLAIM_EVERY_MS: '500',
      RECLAIM_REST_MS: '250',
      PROFILE_COOLDOWN_MS: '0',
      PROFILE_QUARANTINE_MS: '5000',
      UNREACHABLE_REST_MS: '3000',
    };
  }

  /** A worker on the host (its id is `<host>-w<n>`). */
  spawnWorker(host: WorkerHost): AppProcess {
    const id = `${host.name}-w${++this.seq}`;
    const worker = host.processes.spawn(id, 'worker', this.workerEnv(host, id));
    host.workers.push(worker);
    return worker;
  }

  /** A fault proxy on the bridge in front of Redis (start with no faults), for workers' REDIS_URL. */
  redisProxy(seed: number): Promise<FaultProxy> {
    const { hostname, port } = new URL(this.server.url);
    return startFaultProxy({
      listenHost: this.bed.gateway,
      target: { host: hostname, port: Number(port) },
      seed,
    });
  }

  /**
   * Every live host's workers stopped (SIGTERM, they release their leases) and as many started again
   * with REDIS_URL `redisUrl`. Fails unless every stopped one exited 0.
   */
  async respawnWorkers(redisUrl: string): Promise<void> {
    this.workerRedisUrl = redisUrl;
    const running = this.live().flatMap((host) =>
      host.workers.filter((w) => w.running).map((w) => ({ host, w })),
    );
    const exits = await Promise.all(running.map(({ w }) => w.stop(15_000)));
    if (!exits.every((code) => code === 0))
      throw new Error(`workers exited ${exits.join(', ')} when stopped`);
    for (const { host } of running) this.spawnWorker(host);
  }

  /** The launcher proxies' faults (PATH_FAULTS) on or off, on every live host. */
  launcherFaults(on: boolean): void {
    for (const host of this.live()) host.launcherProxy.signal(on ? 'SIGUSR2' : 'SIGHUP');
  }

  /** Hosts with workers (not launcher-only). */
  workerHosts(): WorkerHost[] {
    return this.live().filter((h) => !h.name.startsWith('l'));
  }

  /** Hosts not lost. */
  live(): WorkerHost[] {
    return this.hosts.filter((h) => !h.lost);
  }

  /**
   * A batch of `total` items through the API: two held page loads each, then the item's number
   * read back; with `tags` (a host's name) only that host's profiles serve it.
   */
  async submit(total: number, tags?: string[]): Promise<Run> {
    const steps: Step[] = [
      { goto: `${this.site.url}/hold?item={{i}}&step=1` },
      { goto: `${this.site.url}/hold?item={{i}}&step=2` },
      { extract: { name: 'item', selector: '#item' } },
      // What page the item ended on, should it not be the item's own.
      { extract: { name: 'title', selector: 'title' } },
    ];
    this.site.visits.splice(0); // each scenario's double-held count is its own
    const batch = (await this.api('POST', '/v1/batches', {
      pool: POOL,
      ...(tags ? { tags } : {}),
      steps,
      items: Array.from({ length: total }, (_, i) => ({ i })),
      options: { attempts: 5, backoffMs: 300, itemTimeoutMs: 60_000, stepTimeoutMs: 15_000 },
    })) as { id: string };
    return { batchId: batch.id, total };
  }

  /** Items of the batch recorded so far. */
  async done(run: Run): Promise<number> {
    const p = await this.results.progress(run.batchId);
    return (p?.completed ?? 0) + (p?.failed ?? 0);
  }

  /** Waits until every item is recorded (or the time is up: the audit counts the rest as lost). */
  async waitForRun(run: Run, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await this.done(run)) >= run.total) return true;
      await sleep(250);
    }
    return false;
  }

  /** Worker ids holding a lease right now. */
  async holders(): Promise<Set<string>> {
    const owners = new Set<string>();
    for (const host of this.hosts) {
      for (const { id } of host.profiles) {
        const owner = (await this.profiles.get(id))?.lease?.owner;
        if (owner) owners.add(owner);
      }
    }
    return owners;
  }

  /** The loss columns (`auditBatch`): leases over every profile, browsers under every launcher's dir. */
  audit(run: Run): Promise<Audit> {
    return auditBatch(
      {
        redis: this.redis,
        prefix: PREFIX,
        queue: this.queue,
        results: this.results,
        events: this.events,
        site: this.site,
        leased: async () => (await this.profiles.counts(POOL)).leased,
        launcherDirs: this.hosts.map((h) => h.processes.launcherDir),
      },
      run.batchId,
      run.total,
    );
  }

  /**
   * Which worker host recorded each item, from the workers' logs ('item recorded', by job id
   * `<batch>.<index>`), and the home host of the profile it ran on: pairs (worker host, profile host).
   */
  async placements(run: Run): Promise<{ worker: string; profile: string }[]> {
    const recordedBy = new Map<string, string>();
    for (const host of this.hosts) {
      for (const w of host.workers) {
        let text = '';
        try {
          text = readFileSync(w.logFile, 'utf8');
        } catch {
          continue;
        }
        for (const line of text.split('\n')) {
          if (!line.includes('"item recorded"')) continue;
          try {
            const entry = JSON.parse(line) as { jobId?: string; state?: string };
            if (entry.jobId && entry.state === 'completed') recordedBy.set(entry.jobId, host.name);
          } catch {
            // not a log line of ours
          }
        }
      }
    }
    const homeOf = new Map(this.hosts.flatMap((h) => h.profiles.map((p) => [p.id, h.name] as const)));
    const pairs: { worker: string; profile: string }[] = [];
    for (let index = 0; index < run.total; index++) {
      const r = await this.results.get({ batchId: run.batchId, index });
      const worker = recordedBy.get(`${run.batchId}.${index}`);
      if (r?.profileId && worker) pairs.push({ worker, profile: homeOf.get(r.profileId) ?? '?' });
    }
    return pairs;
  }

  /** User-data dirs, on other hosts' launchers, of the profiles the host's workers hold now. */
  async heldElsewhere(host: WorkerHost): Promise<string[]> {
    const names = new Set(host.workers.map((w) => w.name));
    const dirs: string[] = [];
    for (const other of this.hosts) {
      if (other === host) continue;
      for (const { id } of other.profiles) {
        const owner = (await this.profiles.get(id))?.lease?.owner;
        if (owner && names.has(owner)) dirs.push(join(other.processes.launcherDir, 'profiles', id));
      }
    }
    return dirs;
  }

  /** App processes (on any host) that died without being told to. */
  crashes(): AppProcess[] {
    return [...this.hosts.map((h) => h.processes), this.services].flatMap((p) => p?.crashes() ?? []);
  }

  /** SIGTERM to the live hosts' workers; their exits. */
  async stopWorkers(graceMs = 15_000): Promise<(number | string)[]> {
    const running = this.live().flatMap((h) => h.workers.filter((w) => w.running));
    return Promise.all(running.map((w) => w.stop(graceMs)));
  }

  /** A whole host lost at once: every process on it SIGKILLed, its namespace deleted. */
  loseHost(host: WorkerHost): void {
    for (const p of host.processes.apps) p.expectedExit = true;
    this.bed.remove(host.name);
    host.lost = true;
  }

  async close(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.processes.stop({ worker: 10_000, launcher: 10_000 })));
    await this.services?.stop();
    await Promise.all([...this.hosts.map((h) => h.processes.kill()), this.services?.kill()]);
    await this.queue?.close().catch(() => {});
    this.redis?.disconnect();
    await this.site?.close();
    await this.server?.close();
    this.bed?.destroy();
    if (!process.env.HOSTS_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }
}
