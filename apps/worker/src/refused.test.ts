/**
 * A non-retryable refusal that escapes the item runner (a store script's answer, after the runner's
 * own recording) fails the job for good. Its code must reach the item's result as data — the job's
 * failedReason is text for people and is never parsed back — and a refusal because the batch is
 * gone records nothing. Core's in-memory ports stand in for Redis here; the Redis path of a job the
 * queue gives up is `abandoned.test.ts`.
 */
import type { ItemJob } from '@fleet/contracts';
import { NonRetryableError } from '@fleet/core';
import { memoryItemRunner, memoryJob } from '@fleet/core/testing';
import { createLogger } from '@fleet/logger';
import { type Job, UnrecoverableError } from 'bullmq';
import { createItemProcessor } from './item-processor.js';

const logger = createLogger({ name: 'refused-test', level: 'silent', pretty: false });

/** The fields of a BullMQ job the processor reads. */
function job(data: ItemJob): Job<ItemJob> {
  return {
    id: `${data.batchId}.${data.index}`,
    data,
    attemptsMade: 1,
    opts: { attempts: 3 },
  } as Job<ItemJob>;
}

function refusingClaims(error: Error) {
  const fleet = memoryItemRunner();
  fleet.results.claim = async () => {
    throw error;
  };
  return fleet;
}

it('records a refusal with its code, publishes its item event and fails the job for good', async () => {
  const fleet = refusingClaims(new NonRetryableError('BATCH_PROXY_MISSING', 'the proxy is gone'));
  const process = createItemProcessor(fleet.runner, logger);

  const run = process(job(memoryJob(0)), 'token', new AbortController().signal);
  await expect(run).rejects.toBeInstanceOf(UnrecoverableError);

  const result = await fleet.results.get({ batchId: 'b1', index: 0 });
  expect(result).toMatchObject({
    state: 'failed',
    attempts: 2,
    error: { code: 'BATCH_PROXY_MISSING', message: 'the proxy is gone', step: null },
  });
  expect(fleet.events.events.map((e) => e.type)).toEqual(['item.failed']);
  expect(await fleet.results.progress('b1')).toMatchObject({ failed: 1 });
  // The profile the attempt had leased went back, not kept warm nor left leased.
  expect(await fleet.profiles.counts('default')).toMatchObject({ leased: 0, available: 1 });
});

it('records nothing when the refusal says the batch is gone', async () => {
  const fleet = refusingClaims(new NonRetryableError('BATCH_NOT_FOUND', 'batch "b1" does not exist'));
  const process = createItemProcessor(fleet.runner, logger);

  await expect(process(job(memoryJob(0)), 'token', new AbortController().signal)).rejects.toBeInstanceOf(
    UnrecoverableError,
  );
  expect(await fleet.results.get({ batchId: 'b1', index: 0 })).toBeNull();
  expect(fleet.events.events).toEqual([]);
});
