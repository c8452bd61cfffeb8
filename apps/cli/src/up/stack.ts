import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importProfiles } from '@fleet/core';
import { MultiloginClient } from '@fleet/multilogin';
import { createRedis, RedisProfileStore, waitReady } from '@fleet/redis';
import { AppProcess } from './app-process.js';
import { type DemoSite, startDemoSite } from './demo-site.js';
import { installHint, missingPrerequisites, which } from './prereqs.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const LAUNCHER_EMAIL = 'dev@fleet.local';
const LAUNCHER_PASSWORD = 'fleet-dev-password';

export interface UpOptions {
  profiles: number;
  workers: number;
  redisUrl: string;
  prefix: string;
  ports: { api: number; notifier: number; launcher: number; worker: number; demo: number };
  /** Launcher profiles, artifacts and logs live here (default `<repo>/data`). */
  dataDir: string;
  /** Where the URLs and the key are written for the CLI (default `<repo>/.fleet/up.json`). */
  upFile: string;
  /** The browser the launcher runs (LAUNCHER_CHROMIUM_PATH / LAUNCHER_CHROMEDRIVER_PATH). */
  chromiumPath: string;
  chromedriverPath: string;
  /** FLEET_SECRET_KEY; when empty, the key kept in `<dataDir>/secret.key` (made once). */
  secretKey: string;
  /** Say what happens (one line each). */
  say: (line: string) => void;
  logLevel?: string;
}

export interface UpInfo {
  apiUrl: string;
  notifierUrl: string;
  dashboardUrl: string;
  docsUrl: string;
  boardUrl: string;
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

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/** Brings the whole fleet up on this machine; see `fleet up --help`. */
export async function startStack(o: UpOptions): Promise<RunningStack> {
  const started: AppProcess[] = [];
  let demo: DemoSite | null = null;
  let redisDir: string | null = null;
  const stopAll = async () => {
    // Workers first (they release leases and stop browsers through the launcher), then the rest.
    const order = [...started].reverse();
    for (const app of order) await app.stop(app.name.startsWith('worker') ? 25_000 : 15_000);
    await demo?.close();
    if (redisDir) rmSync(redisDir, { recursive: true, force: true });
    rmSync(o.upFile, { force: true });
  };

  try {
    // Redis: the one REDIS_URL names if it answers, else a throwaway redis-server of our own.
    let redisUrl = o.redisUrl;
    const external = await redisAnswers(redisUrl);
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
      ...Array.from(
        { length: o.workers },
        (_, i) => ['WORKER_PORT', o.ports.worker === 0 ? 0 : o.ports.worker + i] as [string, number],
      ),
    ];
    for (const [env, port] of ports) {
      if (!(await portFree(port))) {
        throw new UpError(
          `port ${port} is in use (${env}): stop what uses it, or set ${env} to another port`,
        );
      }
    }

    const logDir = join(o.dataDir, 'logs');
    mkdirSync(logDir, { recursive: true });
    if (!external) {
      const port = await freePort();
      redisDir = mkdtempSync(join(tmpdir(), 'fleet-up-redis-'));
      const redis = new AppProcess(
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
        { cwd: redisDir, env: {}, logDir },
      );
      started.push(redis);
      redisUrl = `redis://127.0.0.1:${port}`;
      o.say(
        `${o.redisUrl} did not answer: started a throwaway redis-server on ${redisUrl} (gone when you stop)`,
      );
      if (!(await redisAnswersWithin(redisUrl, 10_000))) {
        throw new UpError(`the redis-server we started did not answer:\n${redis.tail()}`);
      }
    } else {
      o.say(`using Redis at ${redisUrl} (key prefix "${o.prefix}")`);
    }

    demo = await startDemoSite(o.ports.demo);
    const common = { REDIS_URL: redisUrl, FLEET_PREFIX: o.prefix, LOG_LEVEL: o.logLevel ?? 'info' };
    // BLOCK_PRIVATE_TARGETS stays on (the default); the demo shop on loopback is the one exception,
    // on the launcher (its guarding proxy) and the workers (their goto check) alike.
    const targets = { ALLOWED_TARGETS: `127.0.0.1:${demo.port},localhost:${demo.port}` };
    const launcherUrl = `http://127.0.0.1:${o.ports.launcher}`;
    const launcher = AppProcess.app(
      'launcher',
      join(REPO_ROOT, 'apps', 'launcher'),
      {
        ...common,
        ...targets,
        LAUNCHER_PORT: String(o.ports.launcher),
        LAUNCHER_DATA_DIR: join(o.dataDir, 'launcher'),
        LAUNCHER_EMAIL,
        LAUNCHER_PASSWORD,
      },
      logDir,
    );
    started.push(launcher);
    await launcher.waitHttp(`${launcherUrl}/api/v1/version`, 60_000);

    const registered = await demoProfiles(redisUrl, o.prefix, launcherUrl, o.profiles);
    o.say(`launcher on ${launcherUrl}: ${o.profiles} demo profiles in pool "default" (${registered} new)`);

    const apiKey = `fleet_${randomBytes(24).toString('base64url')}`;
    const keys = JSON.stringify([{ name: 'admin', role: 'admin', key: apiKey }]);
    const apiUrl = `http://127.0.0.1:${o.ports.api}`;
    const notifierUrl = `http://127.0.0.1:${o.ports.notifier}`;
    const provider = {
      MULTILOGIN_API_URL: launcherUrl,
      MULTILOGIN_LAUNCHER_URL: launcherUrl,
      MULTILOGIN_EMAIL: LAUNCHER_EMAIL,
      MULTILOGIN_PASSWORD: LAUNCHER_PASSWORD,
    };
    const artifacts = join(o.dataDir, 'artifacts');
    // Proxy passwords kept in Redis are sealed with a key the API and workers share; kept in the
    // data dir so profiles added in one run stay readable in the next.
    const secretKey = o.secretKey || fleetSecretKey(o.dataDir);
    const api = AppProcess.app(
      'api',
      join(REPO_ROOT, 'apps', 'api'),
      {
        ...common,
        ...provider,
        API_PORT: String(o.ports.api),
        FLEET_API_KEYS: keys,
        ARTIFACTS_DIR: artifacts,
        FLEET_SECRET_KEY: secretKey,
        NOTIFIER_PUBLIC_URL: notifierUrl,
      },
      logDir,
    );
    const notifier = AppProcess.app(
      'notifier',
      join(REPO_ROOT, 'apps', 'notifier'),
      {
        ...common,
        NOTIFIER_PORT: String(o.ports.notifier),
        FLEET_API_KEYS: keys,
        NOTIFIER_CORS_ORIGINS: apiUrl,
      },
      logDir,
    );
    started.push(notifier, api);
    const workers = Array.from({ length: o.workers }, (_, i) =>
      AppProcess.app(
        `worker-${i + 1}`,
        join(REPO_ROOT, 'apps', 'worker'),
        {
          ...common,
          ...provider,
          ...targets,
          WORKER_PORT: String(o.ports.worker === 0 ? 0 : o.ports.worker + i),
          WORKER_ID: `fleet-up-worker-${i + 1}`,
          ARTIFACTS_DIR: artifacts,
          FLEET_SECRET_KEY: secretKey,
        },
        logDir,
      ),
    );
    started.push(...workers);
    await Promise.all([
      api.waitHttp(`${apiUrl}/ready`, 120_000),
      notifier.waitHttp(`${notifierUrl}/ready`, 120_000),
      ...workers.map((w, i) =>
        o.ports.worker === 0
          ? Promise.resolve()
          : w.waitHttp(`http://127.0.0.1:${o.ports.worker + i}/ready`, 120_000),
      ),
    ]);

    const info: UpInfo = {
      apiUrl,
      notifierUrl,
      dashboardUrl: `${apiUrl}/`,
      docsUrl: `${apiUrl}/docs`,
      boardUrl: `${apiUrl}/admin/queues`,
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

async function redisAnswersWithin(url: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await redisAnswers(url)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** At least `n` launcher profiles, each registered in pool `default`. Returns how many were new. */
async function demoProfiles(
  redisUrl: string,
  prefix: string,
  launcherUrl: string,
  n: number,
): Promise<number> {
  const client = new MultiloginClient({
    apiUrl: launcherUrl,
    launcherUrl,
    email: LAUNCHER_EMAIL,
    password: LAUNCHER_PASSWORD,
  });
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
    const { registered } = await importProfiles(store, existing.slice(0, n), {
      pool: 'default',
      defaultFolderId: folder!.id,
    });
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
