/**
 * A job the queue fails for good without any attempt having recorded its item (here: stalled more
 * often than allowed, as when the workers running it keep crashing) must still end with a failed
 * result and its events, or its batch would wait forever. The job is taken and failed through
 * BullMQ's own manual-processing API, exactly as its stalled-job check fails it.
 */
import type { FleetEvent } from '@fleet/contracts';
import { BatchService, ItemRunner, ProfileAllocationService, ProfileSessions } from '@fleet/core';
import { createLogger } from '@fleet/logger';
import { BullItemQueue, createItemsQueue, ITEMS_QUEUE } from '@fleet/queue';
import {
  createRedis,
  RedisBatchStore,
  RedisEventStream,
  RedisProfileStore,
  RedisResultStore,
} from '@fleet/redis';
import { deletePrefix, testPrefix, testRedisTarget } from '@fleet/testing';
import { UnrecoverableError, Worker } from 'bullmq';
import { recordIfAbandoned } from './item-processor.js';
import { driver, provider } from './test-support.js';

it('records the failure of a job the queue gave up on, once, and completes the batch', async () => {
  const prefix = testPrefix('abandon');
  const redis = createRedis(testRedisTarget(), { role: 'worker' });
  const queue = createItemsQueue(redis, prefix);
  const logger = createLogger({ name: 'abandoned-test', level: 'silent', pretty: false });
  const results = new RedisResultStore(redis, prefix);
  const events = new RedisEventStream(redis, prefix);
  const profiles = new RedisProfileStore(redis, prefix);
  const runner = new ItemRunner({
    sessions: new ProfileSessions(
      new ProfileAllocationService(profiles, {
        leaseTtlMs: 5000,
        release: { cooldownMs: 0, failureThreshold: 3, quarantineMs: 1000 },
      }),
      provider,
      {
        owner: 'test',
        warmIdleMs: 0,
        renewEveryMs: 1000,
      },
    ),
    results,
    events,
    driver,
  });
  const batch = await new BatchService(new RedisBatchStore(redis, prefix), new BullItemQueue(queue)).submit({
    batchId: 'abandoned',
    pool: 'default',
    steps: [{ sleep: 0 }],
    items: [{}, {}],
  });

  // Item 0 stalls out; item 1 was recorded by its attempt (its job fails "for good" too, as a
  // failed item's job does): the check must leave that result alone.
  const manual = new Worker(ITEMS_QUEUE, null, { connection: redis, prefix, lockDuration: 5000 });
  const stalled = await manual.getNextJob('t0');
  await stalled!.moveToFailed(new UnrecoverableError('job stalled more than allowable limit'), 't0', false);
  const refused = await manual.getNextJob('t1');
  const own = { state: 'failed', data: {}, artifacts: {}, url: null, title: null, profileId: null } as const;
  await results.record({ batchId: batch.id, index: 1 }, 0, {
    ...own,
    attempts: 1,
    durationMs: 1,
    finishedAt: Date.now(),
    error: { code: 'ASSERTION_FAILED', message: 'recorded by its attempt', step: 0 },
  });
  await refused!.moveToFailed(
    new UnrecoverableError('ASSERTION_FAILED: recorded by its attempt'),
    't1',
    false,
  );

  expect(await stalled!.getState()).toBe('failed');
  for (const job of [stalled!, refused!]) {
    await recordIfAbandoned(queue, runner, job.id!, logger);
    await recordIfAbandoned(queue, runner, job.id!, logger); // a second 'failed'/'stalled' event
  }

  expect(await results.get({ batchId: batch.id, index: 0 })).toMatchObject({
    state: 'failed',
    error: { code: 'ITEM_STALLED', message: 'job stalled more than allowable limit' },
  });
  expect((await results.get({ batchId: batch.id, index: 1 }))?.error?.message).toBe(
    'recorded by its attempt',
  );
  expect(await results.progress(batch.id)).toMatchObject({ failed: 2, done: true });
  const published: FleetEvent[] = (await events.readAfter('-')).filter((e) => e.batchId === batch.id);
  // Only what the check itself recorded is announced (item 1's attempt announces its own).
  expect(published.map((e) => `${e.type} ${e.itemId ?? ''}`).sort()).toEqual([
    'batch.completed ',
    `item.failed ${batch.id}.0`,
  ]);
  await manual.close();
  await queue.close();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});
