import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { REPO_ROOT } from './repo-root.js';

/** How a process ended: its exit code, or the name of the signal that ended it. */
export type ProcessEnd = number | NodeJS.Signals;

export interface AppProcessOptions {
  cwd: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Output (stdout and stderr) goes to `<logDir>/<name>.log`, appended. */
  logDir: string;
  /**
   * A command the process is run under, e.g. `['ip', 'netns', 'exec', 'h1']` to run it in another
   * network namespace: the spawned command line is `[...prefix, command, ...args]`.
   */
  prefix?: string[];
  /** The Fleet app it runs (`apps/<app>`), if it is one. */
  app?: string;
}

/**
 * One process of a fleet (a Fleet app, a redis-server) run the way an operator runs it, for
 * `fleet up` and the test suites alike. Spawned `detached`, so it leads its own process group:
 * stopping it sweeps the group, and nothing it started without detaching (tsx's loader) outlives
 * it. Signals sent through it are remembered, so an exit nobody asked for reads as a crash.
 */
export class AppProcess {
  readonly child: ChildProcess;
  readonly logFile: string;
  /** How it ended; undefined while it runs. */
  ended: ProcessEnd | undefined;
  /** Set once it was told to end (SIGTERM, SIGINT, SIGKILL, stop): its exit is then expected. */
  expectedExit = false;
  /** Resolves with how it ended (a spawn failure reads as exit code 127). */
  readonly exited: Promise<ProcessEnd>;
  /** The Fleet app it runs, if it is one. */
  readonly app: string | undefined;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    options: AppProcessOptions,
  ) {
    this.app = options.app;
    this.logFile = join(options.logDir, `${name}.log`);
    const fd = openSync(this.logFile, 'a');
    const [file, ...rest] = [...(options.prefix ?? []), command, ...args] as [string, ...string[]];
    this.child = spawn(file, rest, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      detached: true,
      // No pipes: output lands in the file even if this process dies, and an open pipe would
      // keep Jest's process alive.
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    this.exited = new Promise((done) => {
      this.child.once('exit', (code, signal) => {
        this.ended = code ?? signal ?? 'SIGKILL';
        done(this.ended);
      });
      this.child.once('error', () => {
        this.ended ??= 127;
        done(this.ended);
      });
    });
  }

  /** A Fleet app (`apps/<app>`) from its TypeScript source, as its `start` script runs it. */
  static app(
    name: string,
    app: string,
    env: Record<string, string>,
    options: { logDir: string; prefix?: string[] },
  ): AppProcess {
    return new AppProcess(name, process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: join(REPO_ROOT, 'apps', app),
      env,
      app,
      ...options,
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.ended === undefined;
  }

  /** Ended without being told to. */
  get crashed(): boolean {
    return this.ended !== undefined && !this.expectedExit;
  }

  /**
   * Sends a signal to the process itself, not its group: what `kill -<signal> <pid>` does (so
   * SIGKILL to a launcher orphans its browsers, as a real crash would). SIGSTOP/SIGCONT pause it.
   */
  signal(signal: NodeJS.Signals): void {
    if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') this.expectedExit = true;
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }

  /** SIGKILL to the whole group, and wait for it to end. */
  async kill(): Promise<ProcessEnd> {
    this.expectedExit = true;
    signalGroup(this.pid, 'SIGKILL');
    const end = await this.exited;
    signalGroup(this.pid, 'SIGKILL'); // whatever it started in its group after all
    return end;
  }

  /**
   * SIGTERM to the process (it shuts down its own way), SIGKILL to the group after `graceMs`;
   * then whatever is left in its group goes too. Resolves with how it ended.
   */
  async stop(graceMs: number): Promise<ProcessEnd> {
    if (!this.running) return this.ended as ProcessEnd;
    this.signal('SIGTERM');
    const timer = delay(graceMs, 'timeout' as const, { ref: false });
    if ((await Promise.race([this.exited, timer])) === 'timeout') return this.kill();
    signalGroup(this.pid, 'SIGKILL');
    return this.ended as ProcessEnd;
  }

  /** The last `lines` lines of its log (to say why it failed). */
  log(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Resolves once `ready()` answers true; fails if the process ends first or time runs out. */
  async waitReady(what: string, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running)
        throw new Error(`${this.name} exited (${this.ended}) before it was ready:\n${this.log(15)}`);
      if (await ready()) return;
      if (Date.now() > deadline)
        throw new Error(`${this.name} was not ready within ${timeoutMs} ms (${what}):\n${this.log(15)}`);
      await delay(150);
    }
  }

  /** Resolves once `url` answers 200 (see `waitReady`). */
  waitHttp(url: string, timeoutMs = 60_000): Promise<void> {
    return this.waitReady(url, () => answers200(url), timeoutMs);
  }
}

async function answers200(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false; // not listening yet
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}
