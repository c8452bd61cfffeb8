import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedis, RedisBatchStore, RedisResultStore, waitReady } from '@fleet/redis';
import { deletePrefix, testPrefix, testRedisTarget, waitFor } from '@fleet/testing';
import { FileArtifactStore } from '@fleet/webdriver/artifacts';
import { startArtifactSweeper } from './artifact-sweeper.js';

// Retention on a real Redis and a real directory: a batch whose keys expired (or that was
// cancelled and expired, or never existed) loses its artifacts; a live one keeps them.
const prefix = testPrefix('sweep');
const redis = createRedis(testRedisTarget(), { role: 'producer' });
let dir: string;
let store: FileArtifactStore;

beforeAll(() => waitReady(redis));
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-sweep-'));
  store = new FileArtifactStore(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));
afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

const png = (itemId: string, name = 'failure') =>
  store.put(Buffer.from('\x89PNG'), { itemId, name, type: 'image/png' });

it('removes the artifacts of expired and cancelled-then-expired batches, on an interval, and keeps the rest', async () => {
  // Finished batches keep their keys 1 s here (RESULT_RETENTION_SEC).
  const batches = new RedisBatchStore(redis, prefix, { retentionSec: 1 });
  const results = new RedisResultStore(redis, prefix, { retentionSec: 1 });
  for (const id of ['done', 'cancelled', 'running']) {
    await batches.create({ id, name: null, owner: 'acme', pool: 'default', total: 2 });
  }
  const kept = [await png('running.0'), await png('running.1', 'home')];
  const doomed = [
    await png('done.0'),
    await store.put(Buffer.from('<p>'), { itemId: 'done.1', name: 'failure-html', type: 'text/html' }),
    await png('cancelled.0'),
    await png('neverexisted.0'),
  ];
  const result = {
    state: 'completed' as const,
    data: {},
    artifacts: {},
    url: null,
    title: null,
    profileId: null,
    attempts: 1,
    durationMs: 1,
    finishedAt: Date.now(),
  };
  await results.record({ batchId: 'done', index: 0 }, 0, result);
  await results.record({ batchId: 'done', index: 1 }, 0, result);
  await results.record({ batchId: 'running', index: 0 }, 0, result);
  expect((await batches.cancel('cancelled')).status).toBe('cancelled');

  const sweeper = startArtifactSweeper({ store, batches, everyMs: 100, minAgeMs: 0 });
  try {
    // Within retention the finished and cancelled batches' artifacts stay.
    expect(await store.get(doomed[0]!)).not.toBeNull();
    await waitFor(
      'the expired batches gone from disk',
      async () => {
        for (const id of doomed) if ((await store.get(id)) !== null) return undefined;
        return true;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(await batches.get('done')).toBeNull();
    expect(await batches.get('cancelled')).toBeNull();
    for (const id of kept) expect(await store.get(id)).not.toBeNull();
    expect(readdirSync(dir).sort()).toEqual(kept.flatMap((id) => [`${id}.json`, `${id}.png`]).sort());
  } finally {
    await sweeper.stop();
  }
});

it('a pass that cannot reach Redis removes nothing; minAgeMs protects new artifacts', async () => {
  // A real client to a port nobody listens on, never retrying: every command fails at once.
  const broken = createRedis('redis://127.0.0.1:1', {
    role: 'producer',
    overrides: { retryStrategy: () => null },
  });
  broken.on('error', () => {});
  await new Promise((ended) => broken.once('end', ended));
  const orphan = await png('gone.0');
  const failing = startArtifactSweeper({
    store,
    batches: new RedisBatchStore(broken, prefix),
    everyMs: 0,
    minAgeMs: 0,
  });
  await expect(failing.sweep()).rejects.toThrow();
  expect(await store.get(orphan)).not.toBeNull();
  const young = startArtifactSweeper({ store, batches: new RedisBatchStore(redis, prefix), everyMs: 0 });
  expect(await young.sweep()).toBe(0);
  expect(await store.get(orphan)).not.toBeNull();
  const now = startArtifactSweeper({
    store,
    batches: new RedisBatchStore(redis, prefix),
    everyMs: 0,
    minAgeMs: 0,
  });
  expect(await now.sweep()).toBe(1);
  expect(await store.get(orphan)).toBeNull();
});
