import type { ChildProcess } from 'node:child_process';
import { exitOf, killGroup, OutputTail, sleep, spawnDetached, within } from './child-process.js';
import type { SpawnTracking } from './process-records.js';

/**
 * A chromedriver on a loopback port of its own choosing (`--port=0`; it prints the port it got).
 * Without `--allowed-ips` it accepts local connections only. It never launches a browser here:
 * the WebDriver front makes every session attach to the profile's running Chromium.
 */
export class ChromedriverProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    readonly port: number,
  ) {}

  /** `tracking`: the launcher's records of what it spawned (see process-records.ts). */
  static async start(
    path: string,
    timeoutMs: number,
    tracking?: SpawnTracking,
  ): Promise<ChromedriverProcess> {
    const child = spawnDetached(
      path,
      ['--port=0', '--log-level=WARNING'],
      ['ignore', 'pipe', 'pipe'],
      tracking,
    );
    const tail = new OutputTail();
    const exited = exitOf(child);
    let gone = false;
    void exited.then(() => {
      gone = true;
    });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`chromedriver did not start in time: ${tail}`)),
        timeoutMs,
      );
      const onData = (chunk: Buffer) => {
        tail.push(chunk);
        const match = /started successfully on port (\d+)/.exec(tail.toString());
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`cannot run ${path}: ${error.message}`));
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`chromedriver exited during start: ${tail}`));
      });
    }).catch(async (error: unknown) => {
      if (child.pid !== undefined) killGroup(child.pid);
      await within(exited, 2000);
      throw error;
    });
    // Keep draining its output so a chatty driver never blocks on a full pipe.
    child.stdout?.resume();
    const driver = new ChromedriverProcess(child, child.pid as number, port);
    const deadline = Date.now() + timeoutMs;
    while (!gone && Date.now() < deadline) {
      if (await driver.ready()) return driver;
      await sleep(20);
    }
    await driver.close();
    throw new Error(`chromedriver on port ${port} never reported ready: ${tail}`);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private async ready(): Promise<boolean> {
    try {
      const response = await fetch(`${this.url}/status`, { signal: AbortSignal.timeout(1000) });
      const body = (await response.json()) as { value?: { ready?: boolean } };
      return response.ok && body.value?.ready === true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    const exited = exitOf(this.child);
    this.child.kill('SIGTERM');
    if (!(await within(exited, 2000))) killGroup(this.pid);
    await within(exited, 1000);
  }
}
