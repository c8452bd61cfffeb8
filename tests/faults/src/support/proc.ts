import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromiumsUnder } from '@fleet/testing';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');

/**
 * One Fleet app run from its TypeScript source as its own process group, output to
 * `<logDir>/<name>.log`. Signals the test sends are remembered: an exit nobody asked for is a crash.
 */
export class Proc {
  readonly child: ChildProcess;
  readonly logFile: string;
  /** How it ended: exit code, or the signal's name; undefined while running. */
  ended: number | string | undefined;
  /** Set when the test signalled it (kill, term): its exit is then expected. */
  expectedExit = false;
  readonly exited: Promise<number | string>;

  constructor(
    readonly name: string,
    app: string,
    env: Record<string, string>,
    logDir: string,
  ) {
    this.logFile = join(logDir, `${name}.log`);
    const fd = openSync(this.logFile, 'a');
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: join(REPO_ROOT, 'apps', app),
      env: { ...process.env, ...env },
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.ended = code ?? signal ?? 'unknown';
        resolve(this.ended);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.ended === undefined;
  }

  /** Exited without being told to. */
  get crashed(): boolean {
    return this.ended !== undefined && !this.expectedExit;
  }

  /** Sends a signal to the process itself (not its group): what `kill -<signal> <pid>` does. */
  signal(signal: NodeJS.Signals): void {
    if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') this.expectedExit = true;
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }

  /** SIGKILL to the whole group (whatever it started goes too) and wait. */
  async destroy(): Promise<void> {
    this.expectedExit = true;
    if (this.running) {
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        // gone
      }
      await this.exited;
    }
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // the group is empty
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. */
  async stop(graceMs: number): Promise<number | string> {
    if (!this.running) return this.ended as number | string;
    this.signal('SIGTERM');
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    if ((await Promise.race([this.exited, timer])) === 'timeout') await this.destroy();
    return this.ended as number | string;
  }

  log(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Waits until `url` answers 200 (fails if the process ends first). */
  async waitHttp(url: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running)
        throw new Error(`${this.name} exited (${this.ended}) before it was ready:\n${this.log()}`);
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
        if (res.status === 200) return;
      } catch {
        // not yet
      }
      if (Date.now() > deadline)
        throw new Error(`${this.name} not ready within ${timeoutMs} ms:\n${this.log()}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

/** Chromium processes under `dir` (a launcher's data dir), after waiting up to `ms` for them to go. */
export async function browsersLeft(dir: string, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const n = chromiumsUnder(dir).length;
    if (n === 0 || Date.now() > deadline) return n;
    await new Promise((r) => setTimeout(r, 250));
  }
}
