import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { maskUrlCredentials } from '@fleet/config';
import { importProfiles } from '@fleet/core';
import { MultiloginClient } from '@fleet/multilogin';
import { createRedis, RedisProfileStore, waitReady } from '@fleet/redis';
import { AppProcess, ProcessFleet } from '@fleet/testing';
import { type DemoSite, startDemoSite } from './demo-site.js';
import { dieWithParent, installHint, missingPrerequisites, which } from './prereqs.js';
import type { UpSettings } from './up-settings.js';

export interface UpOptions extends UpSettings {
  profiles: number;
  workers: number;
  /** Say what happens (one line each). */
  say: (line: string) => void;
}

export interface UpInfo {
  apiUrl: string;
  notifierUrl: string;
  dashboardUrl: string;
  docsUrl: string;
  boardUrl: string;
  /**
   * Each worker's `/metrics` (items are counted there, not on the API's); empty when the workers
   * picked their own ports (WORKER_PORT=0).
   */
  workerMetricsUrls: string[];
  demoUrl: string;
  apiKey: string;
  redisUrl: string;
  prefix: string;
  pid: number;
}

export interface RunningStack {
  info: UpInfo;
  /** Stops everything (workers first, Redis last) and removes the up file. */
  stop(): Promise<void>;
}

export class UpError extends Error {
  override readonly name = 'UpError';
}

async function redisAnswers(url: string): Promise<boolean> {
  const probe = createRedis(url, {
    role: 'producer',
    overrides: { retryStrategy: () => null, connectTimeout: 1000 },
  });
  probe.on('error', () => {});
  try {
    await waitReady(probe, 1500);
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

async function portFree(port: number): Promise<boolean> {
  if (port === 0) return true;
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

/** Brings the whole fleet up on this machine; see `fleet up --help`. */
export async function startStack(o: UpOptions): Promise<RunningStack> {
  const fleet = new ProcessFleet({
    dir: o.dataDir,
    redisUrl: o.redisUrl,
    prefix: o.prefix,
    credentials: o.credentials,
    logLevel: o.logLevel,
    readyMs: 120_000,
    // Each app stops by itself if this process is killed outright (runUntilSignal's parentPid).
    env: { FLEET_PARENT_PID: String(process.pid) },
  });
  let redis: AppProcess | null = null;
  let demo: DemoSite | null = null;
  let redisDir: string | null = null;
  const stopAll = async () => {
    // Workers first (they release leases and stop browsers through the launcher), then the rest.
    await fleet.stop({ worker: 25_000 });
    await redis?.stop(15_000);
    await demo?.close();
    if (redisDir) rmSync(redisDir, { recursive: true, force: true });
    rmSync(o.upFile, { force: true });
  };

  try {
    // Redis: the one REDIS_URL names if it answers, else a throwaway redis-server of our own.
    const external = await redisAnswers(o.redisUrl);
    const missing = missingPrerequisites({
      needRedisServer: !external,
      chromiumPath: o.chromiumPath,
      chromedriverPath: o.chromedriverPath,
    });
    if (missing.length > 0) throw new UpError(installHint(missing));

    const ports: [string, number][] = [
      ['API_PORT', o.ports.api],
      ['NOTIFIER_PORT', o.ports.notifier],
      ['LAUNCHER_PORT', o.ports.launcher],
      ['FLEET_DEMO_PORT', o.ports.demo],
      ...Array.from({ length: o.workers }, (_, i) => ['WORKER_PORT', workerPort(o, i)] as [string, number]),
    ];
    for (const [env, port] of ports) {
      if (!(await portFree(port))) {
        throw new UpError(
          `port ${port} is in use (${env}): stop what uses it, or set ${env} to another port`,
        );
      }
    }

    let redisUrl = o.redisUrl;
    if (!external) {
      const port = await fleet.freePort();
      redisDir = mkdtempSync(join(tmpdir(), 'fleet-up-redis-'));
      redis = new AppProcess(
        'redis-server',
        which('redis-server')!,
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          redisDir,
        ],
        { cwd: redisDir, logDir: fleet.logDir, prefix: dieWithParent() },
      );
      redisUrl = `redis://127.0.0.1:${port}`;
      fleet.options.redisUrl = redisUrl;
      o.say(
        `${maskUrlCredentials(o.redisUrl)} did not answer: started a throwaway redis-server on ${redisUrl} (gone when you stop)`,
      );
      if (!(await redisAnswersWithin(redisUrl, 10_000))) {
        throw new UpError(`the redis-server we started did not answer:\n${redis.log(15)}`);
      }
    } else {
      o.say(`using Redis at ${maskUrlCredentials(redisUrl)} (key prefix "${o.prefix}")`);
    }

    demo = await startDemoSite(o.ports.demo);
    // BLOCK_PRIVATE_TARGETS stays on (the default); the demo shop on loopback is the one exception,
    // on the launcher (its guarding proxy) and the workers (their goto check) alike.
    fleet.options.allowedTargets = `127.0.0.1:${demo.port},localhost:${demo.port}`;
    await fleet.start('launcher', { port: o.ports.launcher });
    const launcherUrl = fleet.url('launcher');

    const registered = await demoProfiles(redisUrl, o.prefix, launcherUrl, o.credentials, o.profiles);
    o.say(`launcher on ${launcherUrl}: ${o.profiles} demo profiles in pool "default" (${registered} new)`);

    const apiKey = `fleet_${randomBytes(24).toString('base64url')}`;
    fleet.options.apiKeys = [{ name: 'admin', role: 'admin', key: apiKey }];
    // Proxy passwords kept in Redis are sealed with a key the API and workers share; kept in the
    // data dir so profiles added in one run stay readable in the next.
    fleet.options.secretKey = o.secretKey || fleetSecretKey(o.dataDir);
    fleet.ports.set('notifier', o.ports.notifier);
    fleet.ports.set('api', o.ports.api);
    const apiUrl = fleet.url('api');
    await Promise.all([
      fleet.start('notifier', { port: o.ports.notifier, env: { NOTIFIER_CORS_ORIGINS: apiUrl } }),
      fleet.start('api', { port: o.ports.api }),
      ...Array.from({ length: o.workers }, (_, i) =>
        fleet.start('worker', {
          name: `worker-${i + 1}`,
          port: workerPort(o, i),
          env: { WORKER_ID: `fleet-up-worker-${i + 1}` },
        }),
      ),
    ]);

    const info: UpInfo = {
      apiUrl,
      notifierUrl: fleet.url('notifier'),
      dashboardUrl: `${apiUrl}/`,
      docsUrl: `${apiUrl}/docs`,
      boardUrl: `${apiUrl}/admin/queues`,
      workerMetricsUrls: Array.from({ length: o.workers }, (_, i) => `worker-${i + 1}`)
        .filter((name) => fleet.ports.has(name))
        .map((name) => `${fleet.url(name)}/metrics`),
      demoUrl: demo.url,
      apiKey,
      redisUrl,
      prefix: o.prefix,
      pid: process.pid,
    };
    mkdirSync(dirname(o.upFile), { recursive: true });
    writeFileSync(o.upFile, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
    return { info, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Worker `i`'s port: WORKER_PORT + i, or 0 (each picks its own) when WORKER_PORT is 0. */
function workerPort(o: UpOptions, i: number): number {
  return o.ports.worker === 0 ? 0 : o.ports.worker + i;
}

async function redisAnswersWithin(url: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await redisAnswers(url)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/**
 * At least `n` launcher profiles, each registered in pool `default` with the launcher as its home
 * (a profile registered by an earlier run is moved to this run's launcher URL). Returns how many
 * were new.
 */
async function demoProfiles(
  redisUrl: string,
  prefix: string,
  launcherUrl: string,
  credentials: UpSettings['credentials'],
  n: number,
): Promise<number> {
  const client = new MultiloginClient({ apiUrl: launcherUrl, launcherUrl, ...credentials });
  const redis = createRedis(redisUrl, { role: 'producer' });
  redis.on('error', () => {});
  try {
    await waitReady(redis);
    const store = new RedisProfileStore(redis, prefix);
    const existing: { id: string; folderId: string | undefined }[] = [];
    for await (const p of client.allProfiles()) existing.push(p);
    const [folder] = await client.listFolders();
    for (let i = existing.length; i < n; i++) {
      const id = await client.createProfile({ name: `demo-${i + 1}`, folderId: folder!.id });
      existing.push({ id, folderId: folder!.id });
    }
    const home = new URL(launcherUrl).origin;
    const { registered } = await importProfiles(store, existing.slice(0, n), {
      pool: 'default',
      defaultFolderId: folder!.id,
      launcher: home,
    });
    for (const { id } of existing.slice(0, n)) {
      const profile = await store.get(id);
      if (profile && profile.providerIds.launcher !== home) {
        await store.update(id, { providerIds: { ...profile.providerIds, launcher: home } });
      }
    }
    return registered;
  } finally {
    redis.disconnect();
  }
}

/** The key in `<dataDir>/secret.key` (made once, mode 600). */
function fleetSecretKey(dataDir: string): string {
  const file = join(dataDir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = randomBytes(32).toString('hex');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
