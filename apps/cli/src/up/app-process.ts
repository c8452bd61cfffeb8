import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One Fleet app (or redis-server) run by `fleet up` as a child process. Each is spawned
 * `detached`, so it leads its own process group and stopping it signals the whole group: nothing
 * the app started (tsx's loader, a chromedriver) outlives it. Output goes to `<logDir>/<name>.log`.
 */
export class AppProcess {
  readonly child: ChildProcess;
  readonly logFile: string;
  private exitCode: number | null | undefined;
  private readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    options: { cwd: string; env: Record<string, string>; logDir: string },
  ) {
    this.logFile = join(options.logDir, `${name}.log`);
    const fd = openSync(this.logFile, 'a');
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? null : 0);
        resolve(this.exitCode);
      });
      this.child.once('error', () => {
        this.exitCode = null;
        resolve(null);
      });
    });
  }

  /** A Fleet app from its TypeScript source, as its `start` script runs it. */
  static app(name: string, appDir: string, env: Record<string, string>, logDir: string): AppProcess {
    return new AppProcess(name, process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: appDir,
      env,
      logDir,
    });
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** The last lines of its log (to say why it failed). */
  tail(lines = 15): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** Waits until `url` answers 200, or fails when the process exits or the time is up. */
  async waitHttp(url: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.name} exited before it was ready:\n${this.tail()}`);
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(`${this.name} was not ready within ${timeoutMs} ms (${url}):\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  /** SIGTERM to its process group; SIGKILL to the group after `graceMs`. Resolves with its exit code. */
  async stop(graceMs: number): Promise<number | null> {
    const pid = this.child.pid;
    if (pid === undefined || !this.running) return this.exitCode ?? null;
    signalGroup(pid, 'SIGTERM');
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    if ((await Promise.race([this.exited, timer])) === 'timeout') {
      signalGroup(pid, 'SIGKILL');
      await this.exited;
    }
    // Whatever else is left in its group (it exited, a grandchild did not): gone too.
    signalGroup(pid, 'SIGKILL');
    return this.exitCode ?? null;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}
