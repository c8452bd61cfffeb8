import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import type { SpawnTracking } from './process-records.js';

/** The last `limit` characters a child wrote, for error messages (never parsed for secrets). */
export class OutputTail {
  private text = '';
  constructor(private readonly limit = 4000) {}

  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.limit);
  }

  toString(): string {
    return this.text.trim();
  }
}

/** Resolves when the child has exited (at once if it already has). */
export function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Resolves true if `done` settles within `ms`, false on timeout. */
export async function within(done: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([done.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * SIGKILL a whole process group (children were spawned `detached`, so their pid is the group id):
 * Chromium's zygote, renderers and utility processes go with the browser. ESRCH means it is gone.
 */
export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  send(-pid, signal);
}

/** SIGKILL one process only; ESRCH means it is gone. */
export function killProcess(pid: number): void {
  send(pid, 'SIGKILL');
}

function send(target: number, signal: NodeJS.Signals): void {
  try {
    process.kill(target, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * Spawns `command` detached: the leader of a process group of its own, which killGroup reaches
 * with everything it starts. With `tracking`, it carries the profile mark and its pid is reported
 * synchronously, in the same tick as the spawn.
 */
export function spawnDetached(
  command: string,
  args: string[],
  stdio: StdioOptions,
  tracking: SpawnTracking | undefined,
): ChildProcess {
  const env = tracking ? { env: { ...process.env, ...tracking.env } } : {};
  const child = spawn(command, args, { detached: true, stdio, ...env });
  if (child.pid !== undefined) tracking?.onSpawn(child.pid);
  return child;
}

/** Node's own timer promise: production code does not import the test package's `sleep`. */
export { setTimeout as sleep } from 'node:timers/promises';
