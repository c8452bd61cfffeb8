import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, testPrefix, waitFor } from '@fleet/testing';
import { fleetUpEnv, signalGroup } from './shell-runs.js';

export const ROOT = resolve(__dirname, '..', '..', '..');

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `pnpm start` in its own process group and README commands run against it from the repository's
 * root as a reader would in a second terminal, in the order the tour lists them; each one's time
 * is noted (reported, never asserted).
 */
export class ReadmeTour {
  readonly ports = { api: 0, notifier: 0, launcher: 0, worker: 0, demo: 0, redis: 0 };
  readonly timings: Array<[string, number]> = [];
  readonly ran: string[] = [];
  up: ChildProcess | undefined;
  upOutput = '';
  private readonly upFile: string;

  constructor(
    private readonly order: readonly string[],
    readonly dir: string,
  ) {
    this.upFile = join(dir, 'up.json');
  }

  get launcherUrl(): string {
    return `http://127.0.0.1:${this.ports.launcher}`;
  }

  /** Waits as the stack's slow starts need, saying what pnpm start printed when it times out. */
  private upWait(timeoutMs: number) {
    return { timeoutMs, intervalMs: 200, context: () => `pnpm start said:\n${this.upOutput}` };
  }

  /** `pnpm start`, its Redis a throwaway redis-server: REDIS_URL names a port nothing listens on. */
  async start(): Promise<void> {
    const taken = new Set<number>();
    for (const name of Object.keys(this.ports) as Array<keyof typeof this.ports>) {
      let port = await freePort();
      while (taken.has(port) || taken.has(port - 1)) port = await freePort();
      taken.add(port);
      this.ports[name] = port;
    }
    this.noteRun('pnpm start');
    const started = Date.now();
    this.up = spawn('bash', ['-c', 'pnpm start'], {
      cwd: ROOT,
      detached: true, // its own process group: Ctrl-C goes to all of it, as a terminal sends it
      env: {
        ...process.env,
        REDIS_URL: `redis://127.0.0.1:${this.ports.redis}`,
        REDIS_SENTINELS: undefined,
        REDIS_CLUSTER_NODES: undefined,
        ...fleetUpEnv(this.ports, { dir: this.dir, upFile: this.upFile, prefix: testPrefix('readme-tour') }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.up.stdout!.on('data', (d) => (this.upOutput += d));
    this.up.stderr!.on('data', (d) => (this.upOutput += d));
    await waitFor(
      'pnpm start to say the fleet is up',
      () => {
        if (this.up?.exitCode !== null)
          throw new Error(`pnpm start exited (${this.up?.exitCode}):\n${this.upOutput}`);
        return this.upOutput.includes('Fleet is up');
      },
      this.upWait(200_000),
    );
    this.timings.push(['pnpm start', Date.now() - started]);
  }

  /**
   * Ctrl-C as a terminal sends it (SIGINT to pnpm's process group); resolves to pnpm's exit code
   * once fleet up has said it stopped. pnpm exits at once on SIGINT, leaving fleet up (in a
   * process group of its own, which pnpm signals) to stop its children: its "stopped." is the end.
   */
  async stop(): Promise<number> {
    const stopping = Date.now();
    signalGroup(this.up?.pid, 'SIGINT');
    await waitFor(
      'fleet up to say it stopped',
      () => /^stopped\.$/m.test(this.upOutput),
      this.upWait(90_000),
    );
    const code = await waitFor(
      'pnpm start to exit',
      () => this.up?.exitCode ?? undefined,
      this.upWait(30_000),
    );
    this.timings.push(['Ctrl-C', Date.now() - stopping]);
    return code;
  }

  /** Runs any line in bash from the repository's root, the CLI finding this fleet's up file. */
  sh(line: string): Promise<Ran> {
    return new Promise((done, fail) => {
      const child = spawn('bash', ['-c', line], {
        cwd: ROOT,
        env: { ...process.env, FLEET_UP_FILE: this.upFile, FORCE_COLOR: '0', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', fail);
      child.on('close', (status) => done({ status, stdout, stderr }));
    });
  }

  /**
   * Runs the tour's next README command, placeholders filled from `fill` and example batches
   * pointed at this run's demo shop; it must exit 0 with nothing on stderr. Resolves to its stdout.
   */
  async step(readme: string, fill: Record<string, string> = {}): Promise<string> {
    this.noteRun(readme);
    let line = readme.replace(/examples\/([\w.-]+\.json)/g, (_m, name: string) => this.example(name));
    for (const [from, to] of Object.entries(fill)) line = line.replaceAll(from, to);
    const started = Date.now();
    const out = await this.sh(line);
    this.timings.push([readme, Date.now() - started]);
    // pnpm echoes the script it runs ("$ node --import tsx …") on stderr; nothing else may be there.
    const stderr = out.stderr.replace(/^\$ .*\n/gm, '');
    expect({ line, status: out.status, stderr }).toEqual({ line, status: 0, stderr: '' });
    return out.stdout;
  }

  /** A copy of an example batch pointed at this run's demo shop (the examples name :3005). */
  private example(name: string): string {
    const file = join(this.dir, name);
    const text = readFileSync(join(ROOT, 'examples', name), 'utf8');
    writeFileSync(file, text.replaceAll(':3005/', `:${this.ports.demo}/`));
    return file;
  }

  private noteRun(readme: string): void {
    expect({ next: this.order[this.ran.length] }).toEqual({ next: readme });
    this.ran.push(readme);
  }

  report(): string {
    const rows = this.timings.map(([c, ms]) => `  ${(ms / 1000).toFixed(1).padStart(6)}  ${c}`);
    return `README tour, seconds per command:\n${rows.join('\n')}`;
  }
}
