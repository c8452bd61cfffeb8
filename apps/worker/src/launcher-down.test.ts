/**
 * A profile's home launcher host goes away and comes back, seen by a whole worker (startWorker:
 * real Redis, BullMQ, the home-launcher provider, a real launcher and Chromium; the steps are not
 * driven). While the host is down the item waits without spending an attempt, the profile rests
 * (not failed, not quarantined), the host is marked down for the pool view and counted in the
 * worker's metrics; once the launcher answers again the item runs there and the mark is cleared.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchService } from '@fleet/core';
import { type RunningLauncher, startLauncher } from '@fleet/launcher';
import { createLogger } from '@fleet/logger';
import { MultiloginClient } from '@fleet/multilogin';
import { BullItemQueue, createItemsQueue } from '@fleet/queue';
import {
  createRedis,
  RedisBatchStore,
  RedisProfileStore,
  RedisProviderHealth,
  RedisResultStore,
} from '@fleet/redis';
import { deletePrefix, freePort, testPrefix, testRedisTarget, testRedisUrl, waitFor } from '@fleet/testing';
import { driver, settings } from './test-support.js';
import { type RunningWorker, startWorker } from './worker.js';

jest.setTimeout(120_000);

const EMAIL = 'down@fleet.local';
const PASSWORD = 'launcher-down-password';

it('waits out a home launcher outage: no attempt spent, profile rested not blamed, host shown down, then runs', async () => {
  const prefix = testPrefix('launcher-down');
  const redis = createRedis(testRedisTarget(), { role: 'worker' });
  const dir = mkdtempSync(join(tmpdir(), 'fleet-down-'));
  const port = await freePort();
  const home = `http://127.0.0.1:${port}`;
  let launcher: RunningLauncher | undefined = await startLauncher({
    dataDir: dir,
    port,
    email: EMAIL,
    password: PASSWORD,
  });
  let worker: RunningWorker | undefined;
  const queue = createItemsQueue(redis, prefix);
  try {
    const client = new MultiloginClient({
      apiUrl: home,
      launcherUrl: home,
      email: EMAIL,
      password: PASSWORD,
    });
    const folderId = (await client.listFolders())[0]!.id;
    const id = await client.createProfile({ name: 'away', folderId });
    const profiles = new RedisProfileStore(redis, prefix);
    await profiles.register({ id, pool: 'default', providerIds: { folderId, launcher: home } });
    await launcher.close(); // the host goes away
    launcher = undefined;

    const own = await startLauncher({ dataDir: join(dir, 'own'), email: EMAIL, password: PASSWORD });
    worker = await startWorker(
      {
        ...settings(testRedisUrl(), prefix),
        multiloginApiUrl: own.url,
        multiloginLauncherUrl: own.url,
        multiloginEmail: EMAIL,
        multiloginPassword: PASSWORD,
        unreachableRestMs: 1500,
      },
      createLogger({ name: 'launcher-down-test', level: 'silent', pretty: false }),
      { driver },
    );
    const batch = await new BatchService(new RedisBatchStore(redis, prefix), new BullItemQueue(queue)).submit(
      {
        batchId: 'down',
        pool: 'default',
        steps: [{ sleep: 0 }],
        items: [{}],
      },
    );

    const health = new RedisProviderHealth(redis, prefix);
    const [down] = await waitFor(
      'the host marked down',
      async () => {
        const marks = await health.down();
        return marks.length > 0 ? marks : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(down).toMatchObject({
      provider: home,
      by: 'test-worker',
      error: expect.stringContaining('not reachable'),
    });
    const metrics = await worker.metrics.text();
    expect(metrics).toMatch(
      new RegExp(`^fleet_provider_unreachable_total\\{launcher="${home}"\\} [1-9]`, 'm'),
    );
    const rested = await profiles.get(id);
    expect(rested).toMatchObject({ stats: { failures: 0, failStreak: 0 } });
    expect(rested?.state).not.toBe('quarantined');
    const job = await queue.getJob(`${batch.id}.0`);
    expect(job?.attemptsMade).toBe(0);
    expect(await new RedisResultStore(redis, prefix).get({ batchId: batch.id, index: 0 })).toBeNull();

    // The host comes back (same data dir, same port): the item runs on it, the mark goes.
    launcher = await startLauncher({ dataDir: dir, port, email: EMAIL, password: PASSWORD });
    // (The worker tries a host it found down again 5 s after its last failed call.)
    const result = await waitFor(
      'the item recorded',
      () =>
        new RedisResultStore(redis, prefix).get({ batchId: batch.id, index: 0 }).then((r) => r ?? undefined),
      { timeoutMs: 30_000 },
    );
    expect(result).toMatchObject({ state: 'completed', profileId: id, attempts: 1 });
    await waitFor('the mark cleared', async () => ((await health.down()).length === 0 ? true : undefined), {
      timeoutMs: 30_000,
    });
    await own.close();
  } finally {
    await worker?.close(1000);
    await launcher?.close();
    await queue.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
});
