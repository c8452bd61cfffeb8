import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AppProcess,
  type FleetApp,
  type ProcessEnd,
  ProcessFleet,
  portOpen,
  type TestKey,
} from '@fleet/testing';

/** What each app is given: the secrets under test go in through these. */
export interface StackEnv {
  redisUrl: string;
  prefix: string;
  apiKeys: TestKey[];
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
  readonly fleet: ProcessFleet;

  constructor(env: StackEnv) {
    this.fleet = new ProcessFleet({
      dir: this.dir,
      redisUrl: env.redisUrl,
      prefix: env.prefix,
      credentials: { email: env.multiloginEmail, password: env.multiloginPassword },
      apiKeys: env.apiKeys,
      secretKey: env.secretKey,
      allowedTargets: env.allowedTargets,
      logLevel: env.logLevel,
      env: { NODE_ENV: 'production' },
      // Apps take this long to answer on a loaded machine (tsx compiles at start).
      readyMs: 120_000,
    });
  }

  get launcherDir(): string {
    return this.fleet.launcherDir;
  }

  /** Each app's port. */
  get ports(): Record<FleetApp, number> {
    const port = (app: FleetApp) => this.fleet.ports.get(app) ?? 0;
    return {
      launcher: port('launcher'),
      api: port('api'),
      notifier: port('notifier'),
      worker: port('worker'),
    };
  }

  url(app: FleetApp): string {
    return this.fleet.url(app);
  }

  app(name: string): AppProcess {
    return this.fleet.app(name)!;
  }

  async start(): Promise<void> {
    await this.fleet.start('launcher', {
      env: { LAUNCHER_STOP_TIMEOUT_MS: '5000', LAUNCHER_MAX_BROWSERS: '4' },
    });
    // The notifier's port first: the API hands its URL to clients.
    const notifierPort = await this.fleet.freePort();
    this.fleet.ports.set('notifier', notifierPort);
    await Promise.all([
      this.fleet.start('api', {
        env: { API_RATE_LIMIT_PER_MINUTE: '0', ITEM_ATTEMPTS: '2', ITEM_BACKOFF_MS: '300' },
      }),
      this.fleet.start('notifier', { port: notifierPort }),
      this.fleet.start('worker', {
        env: {
          WORKER_ID: 'secrets-worker',
          WORKER_CONCURRENCY: '2',
          WARM_IDLE_MS: '2000',
          SHUTDOWN_GRACE_MS: '10000',
        },
      }),
    ]);
  }

  crashes(): AppProcess[] {
    return this.fleet.crashes();
  }

  /** Chromium processes under the launcher's data dir, after waiting up to `ms` for them to go. */
  browsersAfter(ms: number): Promise<number> {
    return this.fleet.browsersAfter(ms);
  }

  /**
   * Stops everything as an operator would (SIGTERM: the worker first, so it releases its leases
   * and stops its browsers through the launcher, then API, notifier, launcher), then SIGKILLs
   * every group as a safety net. Returns exit codes, browsers and open ports left by the stop.
   */
  async stop(): Promise<{ exits: Record<string, ProcessEnd>; browsers: number; openPorts: number[] }> {
    const exits = await this.fleet.stop({ worker: 30_000, launcher: 30_000 });
    const browsers = await this.browsersAfter(10_000);
    await this.fleet.kill();
    const openPorts: number[] = [];
    for (const port of Object.values(this.ports)) if (port && (await portOpen(port))) openPorts.push(port);
    return { exits, browsers, openPorts };
  }

  /** Every log file the apps wrote. */
  logFiles(): string[] {
    return readdirSync(this.fleet.logDir).map((f) => join(this.fleet.logDir, f));
  }
}
