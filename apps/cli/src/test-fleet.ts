import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startTestApi, type TestApi } from '@fleet/api/testing';
import { ApiKeyRing } from '@fleet/auth';
import { type FleetEvent, type ItemError, type ItemResult, itemId } from '@fleet/contracts';
import { createLogger } from '@fleet/logger';
import { type RunningNotifier, startNotifier } from '@fleet/notifier';
import { testSettings } from '@fleet/notifier/testing';
import {
  createRedis,
  type FleetRedis,
  RedisEventStream,
  RedisProfileStore,
  RedisResultStore,
} from '@fleet/redis';
import { deletePrefix, TEST_KEYS, testPrefix, testRedisUrl } from '@fleet/testing';

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
  readonly events: RedisEventStream;
  readonly results: RedisResultStore;
  readonly profiles: RedisProfileStore;
  readonly notifierUrl: string;
  private readonly running = new Set<CliProcess>();

  private constructor(
    readonly prefix: string,
    readonly redis: FleetRedis,
    private readonly api: TestApi,
    readonly apiUrl: string,
    public notifier: RunningNotifier,
    private readonly dir: string,
  ) {
    this.events = new RedisEventStream(redis, prefix);
    this.results = new RedisResultStore(redis, prefix, { retentionSec: 3600 });
    this.profiles = new RedisProfileStore(redis, prefix);
    this.notifierUrl = `http://127.0.0.1:${notifier.port}`;
  }

  static async start(): Promise<TestFleet> {
    const prefix = testPrefix('cli');
    const redis = createRedis(testRedisUrl(), { role: 'worker' });
    redis.on('error', () => {});
    const dir = mkdtempSync(join(tmpdir(), 'fleet-cli-test-'));
    const api = await startTestApi(
      { itemAttempts: 1 },
      { keys: ApiKeyRing.fromEntries(Object.values(KEYS)) },
      { prefix, commandTimeoutMs: 2000 },
    );
    const apiUrl = await api.app.listen({ port: 0, host: '127.0.0.1' });
    const notifier = await startCliNotifier(prefix, 0);
    const fleet = new TestFleet(prefix, redis, api, apiUrl, notifier, dir);
    // Batches are refused for a pool with no profile.
    await fleet.profiles.register({ id: 'p-default-1', pool: 'default', providerIds: {} });
    return fleet;
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

  /**
   * What a worker does when an item ends: record its result (fence 0: no lease), publish
   * `item.completed`/`item.failed` with the batch's progress and, for the last item,
   * `batch.completed` — with the worker's dedupe keys.
   */
  async finishItem(batchId: string, index: number, outcome: { error?: ItemError } = {}): Promise<void> {
    const failed = outcome.error !== undefined;
    const result: ItemResult = {
      state: failed ? 'failed' : 'completed',
      data: failed ? {} : { title: `Item ${index}` },
      artifacts: {},
      url: `http://127.0.0.1:3005/products/${index}`,
      title: failed ? null : `Item ${index}`,
      profileId: 'p-default-1',
      attempts: 1,
      durationMs: 120 + index,
      finishedAt: Date.now(),
      ...(outcome.error ? { error: outcome.error } : {}),
    };
    const recorded = await this.results.record({ batchId, index }, 0, result);
    if (recorded.status !== 'recorded') throw new Error(`record ${batchId}.${index}: ${recorded.status}`);
    const { total, completed, failed: failedCount, done } = recorded.batch;
    const id = itemId(batchId, index);
    const event: Omit<FleetEvent, 'id'> = {
      type: failed ? 'item.failed' : 'item.completed',
      batchId,
      itemId: id,
      profileId: 'p-default-1',
      at: Date.now(),
      data: {
        attempts: 1,
        durationMs: result.durationMs,
        ...(outcome.error
          ? {
              error: {
                code: outcome.error.code,
                step: outcome.error.step,
                ...(outcome.error.path ? { path: outcome.error.path } : {}),
              },
            }
          : {}),
        progress: { total, completed, failed: failedCount },
      },
    };
    await this.events.publish(event, `${id}:done`);
    if (done) {
      await this.events.publish(
        {
          type: 'batch.completed',
          batchId,
          at: Date.now(),
          data: { total, completed, failed: failedCount },
        },
        `${batchId}:completed`,
      );
    }
  }

  /** Stops the notifier and starts a new one on the same port (clients must reconnect). */
  async restartNotifier(between: () => Promise<void> = async () => {}): Promise<void> {
    const port = this.notifier.port;
    await this.notifier.close();
    await between();
    this.notifier = await startCliNotifier(this.prefix, port);
  }

  async close(): Promise<void> {
    for (const run of this.running) run.child.kill('SIGKILL');
    await Promise.all([...this.running].map((run) => run.done));
    await this.notifier.close();
    await this.api.close();
    await deletePrefix(this.redis, this.prefix).catch(() => {});
    this.redis.disconnect();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A notifier (in-process) on the fleet's prefix, with the CLI tests' keys. */
function startCliNotifier(prefix: string, port: number): Promise<RunningNotifier> {
  return startNotifier(
    testSettings({ prefix, notifierPort: port, apiKeys: Object.values(KEYS) }),
    createLogger({ name: 'notifier-test', level: process.env.TEST_LOG ?? 'silent' }),
    { host: '127.0.0.1' },
  );
}

/** Lines that look like a stack trace (`    at fn (file:1:2)`). */
export const STACK_LINE = /^\s+at\s/m;
