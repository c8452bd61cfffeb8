/**
 * The lease is the right to drive a profile. When it is lost mid-item (here: an operator
 * quarantines the profile, which revokes the lease), the worker stops driving it, writes nothing
 * under the dead fence, and the item is run again and recorded once on another profile — without
 * spending one of its attempts (losing the lease is not the item's failure). And a job
 * that finds no free profile waits without spending an attempt.
 */

import { sleep } from '@fleet/testing';
import { Fleet, waitFor } from './harness.js';

let fleet: Fleet;
beforeAll(async () => {
  fleet = await Fleet.start({ profiles: 2 });
});
afterAll(() => fleet?.close());

it('aborts an item whose lease is revoked and completes it once on another profile', async () => {
  await fleet.startWorker({ workerConcurrency: 1, leaseTtlMs: 3000, warmIdleMs: 0 });
  const batchId = await fleet.submit(
    [{ goto: `${fleet.site.url}/` }, { sleep: 6000 }, { extract: { name: 'h', selector: '#heading' } }],
    [{}],
  );
  let started = (await fleet.eventsOf(batchId)).find((e) => e.type === 'item.started');
  while (!started) {
    await sleep(100);
    started = (await fleet.eventsOf(batchId)).find((e) => e.type === 'item.started');
  }
  const first = started.profileId!;
  await fleet.profiles.quarantine(first, 'operator says no', null);

  const events = await fleet.waitForBatch(batchId);
  const [result] = await fleet.resultsOf(batchId, 1);
  expect(result).toMatchObject({ state: 'completed', data: { h: 'Products' }, attempts: 1 });
  expect(result?.profileId).not.toBe(first);
  expect((await fleet.queue.getJob(`${batchId}.0`))?.attemptsStarted).toBeGreaterThanOrEqual(2);
  expect(events.filter((e) => e.type === 'item.completed')).toHaveLength(1);
  // The first attempt's browser was stopped when its lease went.
  expect((await fleet.client().profileStatus(first)).status).toBe('stopped');
  await fleet.profiles.unquarantine(first);
});

it('delays a job that finds no free profile without spending an attempt', async () => {
  // Two slots, one usable profile: the second slot keeps finding none free and waits.
  await fleet.profiles.quarantine(fleet.profileIds[1]!, 'keep out of this test', null);
  await fleet.startWorker({ workerConcurrency: 2, warmIdleMs: 0 });
  const batchId = await fleet.submit([{ goto: `${fleet.site.url}/` }, { sleep: 500 }], [{}, {}, {}]);
  await fleet.waitForBatch(batchId);
  const results = await fleet.resultsOf(batchId, 3);
  expect(results.map((r) => [r?.state, r?.attempts])).toEqual([
    ['completed', 1],
    ['completed', 1],
    ['completed', 1],
  ]);
  // The waiting really happened: some job was taken more than once, yet no attempt was spent.
  // batch.completed is written with the last result, before BullMQ completes that job (and counts
  // its attempt): read the jobs once BullMQ has completed all three.
  const ids = [0, 1, 2].map((i) => `${batchId}.${i}`);
  await waitFor(
    'BullMQ to complete the three jobs',
    async () =>
      (await Promise.all(ids.map((id) => fleet.queue.getJobState(id)))).every((s) => s === 'completed'),
    { timeoutMs: 10_000, intervalMs: 50 },
  );
  const jobs = await Promise.all(ids.map((id) => fleet.queue.getJob(id)));
  expect(Math.max(...jobs.map((j) => j?.attemptsStarted ?? 0))).toBeGreaterThan(1);
  expect(jobs.map((j) => j?.attemptsMade)).toEqual([1, 1, 1]); // BullMQ counts the successful one
});
