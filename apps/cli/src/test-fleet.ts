import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TestStack } from '@fleet/client/testing';
import type { ItemError } from '@fleet/contracts';
import type { FleetRedis, RedisEventStream, RedisProfileStore, RedisResultStore } from '@fleet/redis';
import { TEST_KEYS } from '@fleet/testing';

/**
 * A real API (buildServer, listening on a free port) and a real notifier over one fresh prefix of
 * the test Redis, and the CLI run against them as a child process, as a user runs it. No worker
 * runs: tests play the worker's part by recording results and publishing events themselves.
 */

/** The CLI tests' keys (of the shared set): an admin and a tenant. */
export const KEYS = { ops: TEST_KEYS.ops, acme: TEST_KEYS.acme };

const CLI_DIR = join(__dirname, '..');
/** `--import tsx` resolves from the working directory; tests run the CLI from other ones too. */
const TSX = pathToFileURL(require.resolve('tsx')).href;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running CLI process: its output so far, and its end. */
export class CliProcess {
  stdout = '';
  stderr = '';
  readonly done: Promise<CliResult>;
  private readonly waiters = new Set<() => void>();

  constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      for (const wake of this.waiters) wake();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.done = new Promise((resolve) => {
      child.on('close', (code) => {
        for (const wake of this.waiters) wake();
        resolve({ code, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  /** Resolves the first match of `pattern` in stdout; rejects if the process ends without one. */
  output(pattern: RegExp): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = this.stdout.match(pattern);
        if (match) {
          this.waiters.delete(check);
          resolve(match);
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          this.waiters.delete(check);
          reject(new Error(`the CLI ended without printing ${pattern}:\n${this.stdout}\n${this.stderr}`));
        }
      };
      this.waiters.add(check);
      check();
    });
  }
}

export interface CliOptions {
  /** Env vars to set (or, with undefined, to remove) on top of the fleet's. */
  env?: Record<string, string | undefined>;
  cwd?: string;
}

export class TestFleet {
  private readonly running = new Set<CliProcess>();

  private constructor(
    /** The API and notifier the CLI runs against (`@fleet/client`'s test stack). */
    readonly stack: TestStack,
    private readonly dir: string,
  ) {}

  static async start(): Promise<TestFleet> {
    const stack = await TestStack.start({ name: 'cli', keys: Object.values(KEYS) });
    return new TestFleet(stack, mkdtempSync(join(tmpdir(), 'fleet-cli-test-')));
  }

  get prefix(): string {
    return this.stack.prefix;
  }
  get redis(): FleetRedis {
    return this.stack.redis;
  }
  get apiUrl(): string {
    return this.stack.apiUrl;
  }
  get notifierUrl(): string {
    return this.stack.notifierUrl;
  }
  get events(): RedisEventStream {
    return this.stack.events;
  }
  get results(): RedisResultStore {
    return this.stack.results;
  }
  get profiles(): RedisProfileStore {
    return this.stack.profiles;
  }

  /** The env a CLI run gets: this fleet's URLs, the admin key, and no `.fleet/up.json`. */
  env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.keys(env)) {
      if (name.startsWith('FLEET_') || name.startsWith('npm_') || name === 'INIT_CWD') delete env[name];
    }
    Object.assign(env, {
      FLEET_API_URL: this.apiUrl,
      FLEET_NOTIFIER_URL: this.notifierUrl,
      FLEET_API_KEY: KEYS.ops.key,
      FLEET_UP_FILE: join(this.dir, 'no-up.json'),
    });
    for (const [name, value] of Object.entries(extra)) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
    return env;
  }

  /** Starts `fleet <args>` (node --import tsx src/main.ts) with this fleet's settings. */
  start(args: string[], options: CliOptions = {}): CliProcess {
    const child = spawn(process.execPath, ['--import', TSX, join(CLI_DIR, 'src', 'main.ts'), ...args], {
      cwd: options.cwd ?? CLI_DIR,
      env: this.env(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run = new CliProcess(child);
    this.running.add(run);
    void run.done.then(() => this.running.delete(run));
    return run;
  }

  /** Runs `fleet <args>` to its end. */
  cli(args: string[], options: CliOptions = {}): Promise<CliResult> {
    return this.start(args, options).done;
  }

  /** What a worker does when an item ends (TestStack.finishItem). */
  finishItem(batchId: string, index: number, outcome: { error?: ItemError } = {}): Promise<void> {
    return this.stack.finishItem(batchId, index, outcome);
  }

  /** Stops the notifier and starts a new one on the same port (clients must reconnect). */
  restartNotifier(between: () => Promise<void> = async () => {}): Promise<void> {
    return this.stack.restartNotifier(between);
  }

  async close(): Promise<void> {
    for (const run of this.running) run.child.kill('SIGKILL');
    await Promise.all([...this.running].map((run) => run.done));
    await this.stack.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Lines that look like a stack trace (`    at fn (file:1:2)`). */
export const STACK_LINE = /^\s+at\s/m;
