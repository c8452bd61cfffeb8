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
import { deletePrefix, TEST_KEYS, type TestKey, testPrefix, testRedisTarget } from '@fleet/testing';

/**
 * A real API (buildServer, listening on a free loopback port) and a real notifier over one fresh
 * prefix of the test Redis, for the tests of clients (the SDK's, the CLI's). No worker runs:
 * tests play the worker's part with `finishItem` (record a result, publish its events).
 */
export class TestStack {
  readonly events: RedisEventStream;
  readonly results: RedisResultStore;
  readonly profiles: RedisProfileStore;
  readonly notifierUrl: string;

  private constructor(
    readonly prefix: string,
    readonly redis: FleetRedis,
    readonly api: TestApi,
    readonly apiUrl: string,
    public notifier: RunningNotifier,
    private readonly keys: TestKey[],
  ) {
    this.events = new RedisEventStream(redis, prefix);
    this.results = new RedisResultStore(redis, prefix, { retentionSec: 3600 });
    this.profiles = new RedisProfileStore(redis, prefix);
    this.notifierUrl = `http://127.0.0.1:${notifier.port}`;
  }

  /** Keys: the shared test keys unless told; one profile `p-default-1` in pool `default`. */
  static async start(options: { name?: string; keys?: TestKey[] } = {}): Promise<TestStack> {
    const keys = options.keys ?? [TEST_KEYS.ops, TEST_KEYS.acme, TEST_KEYS.other];
    const prefix = testPrefix(options.name ?? 'client');
    const redis = createRedis(testRedisTarget(), { role: 'worker' });
    redis.on('error', () => {});
    const api = await startTestApi(
      { itemAttempts: 1 },
      { keys: ApiKeyRing.fromEntries(keys) },
      { prefix, commandTimeoutMs: 2000 },
    );
    const apiUrl = await api.app.listen({ port: 0, host: '127.0.0.1' });
    const notifier = await startStackNotifier(prefix, 0, keys);
    const stack = new TestStack(prefix, redis, api, apiUrl, notifier, keys);
    // Batches are refused for a pool with no profile.
    await stack.profiles.register({ id: 'p-default-1', pool: 'default', providerIds: {} });
    return stack;
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
    const error = outcome.error;
    const event: Omit<FleetEvent, 'id'> = {
      type: failed ? 'item.failed' : 'item.completed',
      batchId,
      itemId: id,
      profileId: 'p-default-1',
      at: Date.now(),
      data: {
        attempts: 1,
        durationMs: result.durationMs,
        ...(error
          ? { error: { code: error.code, step: error.step, ...(error.path ? { path: error.path } : {}) } }
          : {}),
        progress: { total, completed, failed: failedCount },
      },
    };
    await this.events.publish(event, `${id}:done`);
    if (done) {
      await this.events.publish(
        { type: 'batch.completed', batchId, at: Date.now(), data: { total, completed, failed: failedCount } },
        `${batchId}:completed`,
      );
    }
  }

  /** Stops the notifier and starts a new one on the same port (clients must reconnect). */
  async restartNotifier(between: () => Promise<void> = async () => {}): Promise<void> {
    const port = this.notifier.port;
    await this.notifier.close();
    await between();
    this.notifier = await startStackNotifier(this.prefix, port, this.keys);
  }

  async close(): Promise<void> {
    await this.notifier.close();
    // A request the client aborted mid-way can leave its connection open (seen: 3 left, and
    // app.close() then waited ~60 s for them); the clients are gone, so close them all.
    this.api.app.server.closeAllConnections();
    await this.api.close();
    await deletePrefix(this.redis, this.prefix).catch(() => {});
    this.redis.disconnect();
  }
}

/** A notifier (in-process) on the stack's prefix and keys. */
function startStackNotifier(prefix: string, port: number, keys: TestKey[]): Promise<RunningNotifier> {
  return startNotifier(
    testSettings({ prefix, notifierPort: port, apiKeys: keys }),
    createLogger({ name: 'notifier-test', level: process.env.TEST_LOG ?? 'silent' }),
    { host: '127.0.0.1' },
  );
}
