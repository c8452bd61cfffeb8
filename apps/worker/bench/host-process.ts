/**
 * A benchmark "worker host" (scaleout-host.ts) as a long-lived child process, driven over IPC: the
 * scale-out and fairness benches fork several and start a worker in each per run.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostCount, HostReply, HostRequest } from './scaleout-host.js';

const HOST_ENTRY = join(dirname(fileURLToPath(import.meta.url)), 'scaleout-host.ts');
const HOST_REPLY_MS = 60_000;

export class HostProcess {
  private readonly child: ChildProcess;
  private readonly waiting: { resolve: (reply: HostReply) => void; reject: (error: Error) => void }[] = [];
  private exitedWith: string | null = null;

  constructor(
    readonly name: string,
    env: Record<string, string>,
  ) {
    this.child = fork(HOST_ENTRY, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (reply: HostReply) => this.waiting.shift()?.resolve(reply));
    this.child.once('exit', (code, signal) => {
      this.exitedWith = `${name} exited (${code ?? signal})`;
      for (const w of this.waiting.splice(0)) w.reject(new Error(this.exitedWith));
    });
  }

  /** Sends a request and waits for its reply (the host answers in order). */
  request(request: HostRequest, timeoutMs = HOST_REPLY_MS): Promise<HostReply> {
    if (this.exitedWith) return Promise.reject(new Error(this.exitedWith));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.name}: no answer to "${request.type}" within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const settle =
        <T>(done: (value: T) => void) =>
        (value: T) => {
          clearTimeout(timer);
          done(value);
        };
      this.waiting.push({ resolve: settle(resolve), reject: settle(reject) });
      this.child.send(request);
    });
  }

  async count(): Promise<HostCount> {
    const reply = await this.request({ type: 'count' });
    if (reply.type !== 'count') throw new Error(`${this.name}: answered "${reply.type}" to "count"`);
    return reply;
  }

  /** Ends the process (it closes its worker when the IPC channel goes); SIGKILL if it lingers. */
  async close(): Promise<void> {
    if (this.exitedWith) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}
