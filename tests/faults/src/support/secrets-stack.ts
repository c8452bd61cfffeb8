import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, portOpen } from '@fleet/testing';
import { browsersLeft, Proc } from './proc.js';

/** Apps take this long to answer on a loaded machine (tsx compiles at start). */
const READY_MS = 120_000;

/** What each app is given: the secrets under test go in through these. */
export interface StackEnv {
  redisUrl: string;
  prefix: string;
  apiKeys: { name: string; role: 'admin' | 'user'; key: string }[];
  multiloginEmail: string;
  multiloginPassword: string;
  secretKey: string;
  /** The fixture site's `host:port` (the SSRF guard's allowlist). */
  allowedTargets: string;
  logLevel: string;
}

/** Launcher, API, notifier and one worker as separate processes on loopback, logs in files. */
export class SecretStack {
  readonly dir = mkdtempSync(join(tmpdir(), 'fleet-secrets-'));
  readonly logDir = join(this.dir, 'logs');
  readonly launcherDir = join(this.dir, 'launcher');
  readonly apps: Proc[] = [];
  ports = { launcher: 0, api: 0, notifier: 0, worker: 0 };

  constructor(readonly env: StackEnv) {
    mkdirSync(this.logDir);
  }

  url(app: keyof SecretStack['ports']): string {
    return `http://127.0.0.1:${this.ports[app]}`;
  }

  app(name: string): Proc {
    return this.apps.find((a) => a.name === name)!;
  }

  async start(): Promise<void> {
    const taken = new Set<number>();
    for (const app of Object.keys(this.ports) as (keyof SecretStack['ports'])[]) {
      let port = await freePort();
      while (taken.has(port)) port = await freePort();
      taken.add(port);
      this.ports[app] = port;
    }
    const e = this.env;
    const common = {
      REDIS_URL: e.redisUrl,
      FLEET_PREFIX: e.prefix,
      LOG_LEVEL: e.logLevel,
      NODE_ENV: 'production',
    };
    const provider = {
      MULTILOGIN_API_URL: this.url('launcher'),
      MULTILOGIN_LAUNCHER_URL: this.url('launcher'),
      MULTILOGIN_EMAIL: e.multiloginEmail,
      MULTILOGIN_PASSWORD: e.multiloginPassword,
    };
    const keys = JSON.stringify(e.apiKeys);
    const artifacts = join(this.dir, 'artifacts');
    const launcher = this.spawn('launcher', 'launcher', {
      ...common,
      LAUNCHER_PORT: String(this.ports.launcher),
      LAUNCHER_DATA_DIR: this.launcherDir,
      LAUNCHER_EMAIL: e.multiloginEmail,
      LAUNCHER_PASSWORD: e.multiloginPassword,
      LAUNCHER_STOP_TIMEOUT_MS: '5000',
      LAUNCHER_MAX_BROWSERS: '4',
      ALLOWED_TARGETS: e.allowedTargets,
    });
    await launcher.waitHttp(`${this.url('launcher')}/api/v1/version`, READY_MS);
    const api = this.spawn('api', 'api', {
      ...common,
      ...provider,
      API_PORT: String(this.ports.api),
      FLEET_API_KEYS: keys,
      ARTIFACTS_DIR: artifacts,
      FLEET_SECRET_KEY: e.secretKey,
      NOTIFIER_PUBLIC_URL: this.url('notifier'),
      API_RATE_LIMIT_PER_MINUTE: '0',
      ITEM_ATTEMPTS: '2',
      ITEM_BACKOFF_MS: '300',
    });
    const notifier = this.spawn('notifier', 'notifier', {
      ...common,
      NOTIFIER_PORT: String(this.ports.notifier),
      FLEET_API_KEYS: keys,
    });
    const worker = this.spawn('worker', 'worker', {
      ...common,
      ...provider,
      WORKER_PORT: String(this.ports.worker),
      WORKER_ID: 'secrets-worker',
      WORKER_CONCURRENCY: '2',
      WARM_IDLE_MS: '2000',
      ARTIFACTS_DIR: artifacts,
      FLEET_SECRET_KEY: e.secretKey,
      SHUTDOWN_GRACE_MS: '10000',
      ALLOWED_TARGETS: e.allowedTargets,
    });
    await Promise.all([
      api.waitHttp(`${this.url('api')}/ready`, READY_MS),
      notifier.waitHttp(`${this.url('notifier')}/ready`, READY_MS),
      worker.waitHttp(`${this.url('worker')}/ready`, READY_MS),
    ]);
  }

  private spawn(name: string, app: string, env: Record<string, string>): Proc {
    const proc = new Proc(name, app, env, this.logDir);
    this.apps.push(proc);
    return proc;
  }

  crashes(): Proc[] {
    return this.apps.filter((a) => a.crashed);
  }

  /** Chromium processes under the launcher's data dir, after waiting up to `ms` for them to go. */
  browsersAfter(ms: number): Promise<number> {
    return browsersLeft(this.launcherDir, ms);
  }

  /**
   * Stops everything as an operator would (SIGTERM: the worker first, so it releases its leases
   * and stops its browsers through the launcher, then API, notifier, launcher), then SIGKILLs
   * every group as a safety net. Returns exit codes, browsers and open ports left by the stop.
   */
  async stop(): Promise<{ exits: Record<string, number | string>; browsers: number; openPorts: number[] }> {
    const exits: Record<string, number | string> = {};
    for (const name of ['worker', 'api', 'notifier', 'launcher']) {
      const app = this.apps.find((a) => a.name === name);
      if (app) exits[name] = await app.stop(name === 'worker' || name === 'launcher' ? 30_000 : 15_000);
    }
    const browsers = await this.browsersAfter(10_000);
    await Promise.all(this.apps.map((app) => app.destroy()));
    const openPorts: number[] = [];
    for (const port of Object.values(this.ports)) if (port && (await portOpen(port))) openPorts.push(port);
    return { exits, browsers, openPorts };
  }

  /** Every log file the apps wrote. */
  logFiles(): string[] {
    return readdirSync(this.logDir).map((f) => join(this.logDir, f));
  }
}
