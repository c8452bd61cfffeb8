import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AppProcess, type ProcessEnd } from '../app-process.js';
import { freePort } from '../free-port.js';
import { browsersLeft } from '../processes.js';
import type { TestKey } from './test-keys.js';

/**
 * Where a fleet's processes run: the address they bind and are reached on, and a command each is
 * spawned under (e.g. `['ip', 'netns', 'exec', 'h1']` for a host in a network namespace).
 */
export interface FleetHost {
  address: string;
  prefix?: string[];
}

export const LOOPBACK: FleetHost = { address: '127.0.0.1' };

/**
 * How a fleet is wired. Read at each `start`, so a fleet that learns a value on the way (fleet up's
 * throwaway Redis, its fresh API key) sets it before starting the apps that need it.
 */
export interface ProcessFleetOptions {
  /** Logs go to `<dir>/logs`, the launcher's profiles to `<dir>/launcher`, artifacts to `<dir>/artifacts`. */
  dir: string;
  redisUrl: string;
  /**
   * The Redis settings of every app when Redis is not one node at `redisUrl`: `redisTargetEnv()`
   * of @fleet/redis (or `testRedisEnv()`), which also blanks the variables it does not use.
   */
  redisEnv?: Record<string, string>;
  prefix: string;
  /** The launcher's sign-in, which the API and the workers use as their provider account. */
  credentials: { email: string; password: string };
  /** FLEET_API_KEYS of the API and the notifier. */
  apiKeys?: readonly TestKey[];
  /** FLEET_SECRET_KEY of the API and the workers (unset when absent). */
  secretKey?: string;
  /** ALLOWED_TARGETS of the launcher and the workers (the SSRF guard's exceptions). */
  allowedTargets?: string;
  logLevel?: string;
  host?: FleetHost;
  /** Added to every app's environment (e.g. NODE_ENV). */
  env?: Record<string, string>;
  /** How long an app may take to answer (tsx compiles at start; a loaded machine is slow). */
  readyMs?: number;
}

export type FleetApp = 'launcher' | 'api' | 'notifier' | 'worker';

export interface AppStart {
  /** Its port; a free one when absent (0: the app picks one and nobody waits for it to answer). */
  port?: number;
  /** Its own settings, over the fleet's. */
  env?: Record<string, string>;
  /** Its process name and log file (default: the app's name). */
  name?: string;
}

/** What each app is asked to answer before it counts as started. */
const READY_PATH: Record<FleetApp, string> = {
  launcher: '/api/v1/version',
  api: '/ready',
  notifier: '/ready',
  worker: '/ready',
};

const PORT_ENV: Record<FleetApp, string> = {
  launcher: 'LAUNCHER_PORT',
  api: 'API_PORT',
  notifier: 'NOTIFIER_PORT',
  worker: 'WORKER_PORT',
};

/**
 * Fleet apps as child processes (`AppProcess`), wired to one Redis and to each other the way an
 * operator wires them: the API and workers sign in to the launcher with its credentials, API and
 * notifier share the keys, API and workers the secret key and artifacts directory. Each app is
 * started on its own (tests kill, pause and restart them); `stop()` ends them in a safe order.
 * `fleet up`, the fault suite and the secrets stack are built on it.
 */
export class ProcessFleet {
  readonly logDir: string;
  readonly launcherDir: string;
  readonly artifactsDir: string;
  readonly host: FleetHost;
  /** Every process started, in order (stopped ones stay: their exits are part of the record). */
  readonly apps: AppProcess[] = [];
  /** The port of the app started last under each name. */
  readonly ports = new Map<string, number>();
  private readonly taken = new Set<number>();

  constructor(readonly options: ProcessFleetOptions) {
    this.host = options.host ?? LOOPBACK;
    this.logDir = join(options.dir, 'logs');
    this.launcherDir = join(options.dir, 'launcher');
    this.artifactsDir = join(options.dir, 'artifacts');
    mkdirSync(this.logDir, { recursive: true });
  }

  /** `http://<host>:<port>` of an app started under this name. */
  url(name: string): string {
    const port = this.ports.get(name);
    if (port === undefined) throw new Error(`no app named ${name} was started in this fleet`);
    return `http://${this.host.address}:${port}`;
  }

  /** What a Multilogin client needs to reach this fleet's launcher as the apps do (its sign-in). */
  launcherAccount(): { apiUrl: string; launcherUrl: string; email: string; password: string } {
    const url = this.url('launcher');
    return { apiUrl: url, launcherUrl: url, ...this.options.credentials };
  }

  /**
   * A port nobody else in this fleet was given (the kernel may hand one out twice). On a host
   * behind a prefix (a network namespace) this process cannot bind the host's address: it draws
   * the port on loopback, from the same range (outside the kernel's ephemeral ports).
   */
  async freePort(): Promise<number> {
    for (;;) {
      const port = await freePort(this.host.prefix ? '127.0.0.1' : this.host.address);
      if (!this.taken.has(port)) {
        this.taken.add(port);
        return port;
      }
    }
  }

  /** The environment an app is given, before its own settings. */
  envFor(app: FleetApp, port: number): Record<string, string> {
    const o = this.options;
    const common: Record<string, string> = {
      ...(o.redisEnv ?? { REDIS_URL: o.redisUrl }),
      FLEET_PREFIX: o.prefix,
      LOG_LEVEL: o.logLevel ?? process.env.FLEET_TEST_LOG_LEVEL ?? 'info',
      [PORT_ENV[app]]: String(port),
      ...o.env,
    };
    const none: Record<string, string> = {};
    const keys = o.apiKeys ? { FLEET_API_KEYS: JSON.stringify(o.apiKeys) } : none;
    const secret = o.secretKey ? { FLEET_SECRET_KEY: o.secretKey } : none;
    const targets = o.allowedTargets ? { ALLOWED_TARGETS: o.allowedTargets } : none;
    const launcher = this.ports.has('launcher') ? this.url('launcher') : '';
    const provider: Record<string, string> = launcher
      ? {
          MULTILOGIN_API_URL: launcher,
          MULTILOGIN_LAUNCHER_URL: launcher,
          MULTILOGIN_EMAIL: o.credentials.email,
          MULTILOGIN_PASSWORD: o.credentials.password,
        }
      : none;
    switch (app) {
      case 'launcher':
        return {
          ...common,
          ...targets,
          LAUNCHER_HOST: this.host.address,
          LAUNCHER_DATA_DIR: this.launcherDir,
          LAUNCHER_EMAIL: o.credentials.email,
          LAUNCHER_PASSWORD: o.credentials.password,
        };
      case 'api':
        return {
          ...common,
          ...provider,
          ...keys,
          ...secret,
          API_HOST: this.host.address,
          ARTIFACTS_DIR: this.artifactsDir,
          ...(this.ports.has('notifier') ? { NOTIFIER_PUBLIC_URL: this.url('notifier') } : none),
        };
      case 'notifier':
        return { ...common, ...keys };
      case 'worker':
        return { ...common, ...provider, ...targets, ...secret, ARTIFACTS_DIR: this.artifactsDir };
    }
  }

  /** Spawns an app; resolves once it answers (at once for port 0). */
  async start(app: FleetApp, start: AppStart = {}): Promise<AppProcess> {
    const name = start.name ?? app;
    const port = start.port ?? (await this.freePort());
    if (port !== 0) this.ports.set(name, port);
    const proc = this.spawn(name, app, { ...this.envFor(app, port), ...start.env });
    if (port !== 0)
      await proc.waitHttp(`http://${this.host.address}:${port}${READY_PATH[app]}`, this.options.readyMs);
    return proc;
  }

  /** Spawns an app without waiting for it (a worker on port 0 has nothing to ask). */
  spawn(name: string, app: FleetApp, env: Record<string, string>): AppProcess {
    const proc = AppProcess.app(name, app, env, {
      logDir: this.logDir,
      ...(this.host.prefix ? { prefix: this.host.prefix } : {}),
    });
    this.apps.push(proc);
    return proc;
  }

  app(name: string): AppProcess | undefined {
    return this.apps.findLast((a) => a.name === name);
  }

  /** Processes that ended without being told to. */
  crashes(): AppProcess[] {
    return this.apps.filter((a) => a.crashed);
  }

  /** Chromium processes under the launcher's data dir, after waiting up to `ms` for them to go. */
  browsersAfter(ms: number): Promise<number> {
    return browsersLeft(this.launcherDir, ms);
  }

  /**
   * Stops every running app as an operator would: SIGTERM to the workers first (they release
   * their leases and stop their browsers through the launcher), then API and notifier, the
   * launcher last; each is SIGKILLed after its grace. Resolves with how each ended, by name.
   */
  async stop(grace: Partial<Record<FleetApp, number>> = {}): Promise<Record<string, ProcessEnd>> {
    const exits: Record<string, ProcessEnd> = {};
    const order: FleetApp[] = ['worker', 'api', 'notifier', 'launcher'];
    for (const app of order) {
      const procs = this.apps.filter((p) => p.app === app && p.running);
      const ends = await Promise.all(procs.map((p) => p.stop(grace[app] ?? 15_000)));
      procs.forEach((p, i) => {
        exits[p.name] = ends[i] as ProcessEnd;
      });
    }
    return exits;
  }

  /** SIGKILL to every process group left (the safety net after a test). */
  async kill(): Promise<void> {
    await Promise.all(this.apps.map((a) => a.kill()));
  }
}
