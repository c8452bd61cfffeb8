/**
 * Cancelling a running batch: once `BatchService.cancel` resolves, no item of the batch
 * is recorded or announced as finished; items running in any worker are aborted at once (the cancel
 * bus), their browsers stopped — warm reuse is on, and still none is kept — and their leases
 * released; waiting items leave the queue; `batch.cancelled` is published once, however often
 * cancel is called. An item of an already-cancelled batch is dropped before any browser starts.
 */
import { join } from 'node:path';
import type { FleetEvent } from '@fleet/contracts';
import { BatchService, planBatch } from '@fleet/core';
import { BullItemQueue } from '@fleet/queue';
import { RedisCancelBus } from '@fleet/redis';
import { chromiumsUnder, chromiumsUsing } from '@fleet/testing';
import type { RunningWorker } from '@fleet/worker';
import { E2E_WAIT, Fleet, POOL, waitFor } from './harness.js';

const TOTAL = 12;

let fleet: Fleet;
let service: BatchService;
let workers: RunningWorker[];
beforeAll(async () => {
  fleet = await Fleet.start({ profiles: 3 });
  service = new BatchService(fleet.batches, new BullItemQueue(fleet.queue), {
    bus: new RedisCancelBus(fleet.redis, fleet.prefix),
    events: fleet.events,
  });
  // Four slots over three profiles: one slot keeps finding none free (its job goes to delayed).
  workers = [
    await fleet.startWorker({ workerConcurrency: 2, warmIdleMs: 30_000 }),
    await fleet.startWorker({ workerConcurrency: 2, warmIdleMs: 30_000 }),
  ];
});
afterAll(() => fleet?.close());

const profileDir = (id: string) => join(fleet.dataDir, 'launcher', 'profiles', id);
const recorded = async (batchId: string) =>
  (await fleet.resultsOf(batchId, TOTAL)).flatMap((r, i) => (r ? [i] : []));
const jobStates = (batchId: string) =>
  Promise.all(
    Array.from({ length: TOTAL }, async (_, i) => {
      // State first: a job read before it finished would carry no return value yet.
      const state = await fleet.queue.getJobState(`${batchId}.${i}`);
      const job = await fleet.queue.getJob(`${batchId}.${i}`);
      return job ? { state, returned: job.returnvalue as unknown } : null;
    }),
  );

it('aborts the running items of a cancelled batch, removes the waiting ones, and gives everything back', async () => {
  const batchId = `cancel${Date.now()}`;
  // Each item would hold its profile for a minute: only an abort gives the leases back soon.
  await service.submit({
    batchId,
    pool: POOL,
    steps: [{ goto: `${fleet.site.url}/slow?ms=1500` }, { sleep: 60_000 }],
    items: Array.from({ length: TOTAL }, () => ({})),
  });
  const started = await waitFor(
    'two items to be running',
    async () => {
      const events = await fleet.eventsOf(batchId);
      const starts = events.filter((e) => e.type === 'item.started');
      return starts.length >= 2 ? starts : undefined;
    },
    E2E_WAIT,
  );
  const busy = [...new Set(started.map((e) => e.profileId!))];
  for (const id of busy) expect(chromiumsUsing(profileDir(id)).length).toBeGreaterThan(0);
  expect(chromiumsUnder(fleet.dataDir).length).toBeGreaterThan(0); // so "none left" below means something

  const cancel = await service.cancel(batchId);
  expect(cancel.status).toBe('cancelled');
  expect(cancel.batch).toMatchObject({ status: 'cancelled' });
  const atCancel = await recorded(batchId);

  // The running items stop now, not after their minute: leases back, browsers stopped.
  await waitFor(
    'every lease to come back',
    async () => {
      const counts = await fleet.profiles.counts(POOL);
      return counts.leased === 0 && workers.every((w) => w.sessions.heldCount === 0) ? counts : undefined;
    },
    E2E_WAIT,
  );
  await waitFor(
    'every Chromium of the fleet to be stopped',
    async () => (chromiumsUnder(fleet.dataDir).length === 0 ? true : undefined),
    E2E_WAIT,
  );
  for (const id of fleet.profileIds) expect((await fleet.client().profileStatus(id)).status).toBe('stopped');

  // No job of the batch waits or runs any more: the waiting ones were removed, the running ones
  // ended without a retry (completed as cancelled), and a job that was on its way back to delayed
  // (no free profile) was dropped when it came round.
  const states = await waitFor(
    'the batch to leave the queue',
    async () => {
      const all = await jobStates(batchId);
      return all.every((j) => j === null || j.state === 'completed') ? all : undefined;
    },
    E2E_WAIT,
  );
  const ended = states.filter((j) => j !== null);
  expect(ended.length).toBeGreaterThanOrEqual(2);
  for (const job of ended) expect(job.returned).toEqual({ cancelled: true });
  expect(cancel.removed + ended.length).toBe(TOTAL);

  // Nothing finished after the cancel was acknowledged.
  expect(await recorded(batchId)).toEqual(atCancel);
  const events = await fleet.eventsOf(batchId);
  const cancelledAt = events.findIndex((e) => e.type === 'batch.cancelled');
  expect(cancelledAt).toBeGreaterThanOrEqual(0);
  const finishedAfter = events
    .slice(cancelledAt)
    .filter((e) => e.type === 'item.completed' || e.type === 'item.failed' || e.type === 'batch.completed');
  expect(finishedAfter).toEqual([]);
  const progress = events[cancelledAt]?.data as { total: number; completed: number; failed: number };
  expect(progress.total).toBe(TOTAL);
  expect(progress.completed + progress.failed).toBe(atCancel.length);

  // Cancel again: harmless, and still one batch.cancelled.
  const again = await service.cancel(batchId);
  expect(again.status).toBe('already-cancelled');
  expect(await recorded(batchId)).toEqual(atCancel);
  const after = await fleet.eventsOf(batchId);
  expect(after.filter((e: FleetEvent) => e.type === 'batch.cancelled')).toHaveLength(1);
  expect(await fleet.batches.get(batchId)).toMatchObject({ status: 'cancelled' });

  // Aborted items released their profiles neutral: no failure counted against them.
  for (const id of fleet.profileIds) {
    expect((await fleet.profiles.get(id))?.stats).toMatchObject({ failures: 0, failStreak: 0 });
  }
});

it('drops an item of an already-cancelled batch without starting a browser', async () => {
  const batchId = `precancelled${Date.now()}`;
  const input = { batchId, pool: POOL, steps: [{ goto: `${fleet.site.url}/` }], items: [{}] };
  await fleet.batches.create({ id: batchId, pool: POOL, total: 1 });
  expect((await service.cancel(batchId)).status).toBe('cancelled');
  const starts = () => workers.reduce((n, w) => n + w.sessions.stats.starts + w.sessions.stats.warmReuses, 0);
  const before = starts();

  // A job that reaches the queue after the cancel (e.g. a submit that was still adding items).
  const plan = planBatch(input);
  if (!plan.ok) throw new Error('the plan should be valid');
  await new BullItemQueue(fleet.queue).enqueue(plan.jobs);
  const [job] = await waitFor(
    'the job to be dropped',
    async () => {
      const all = await jobStates(batchId);
      return all[0]?.state === 'completed' ? all : undefined;
    },
    E2E_WAIT,
  );
  expect(job?.returned).toEqual({ cancelled: true });
  expect(starts()).toBe(before);
  expect(await fleet.results.get({ batchId, index: 0 })).toBeNull();
  expect((await fleet.eventsOf(batchId)).map((e) => e.type)).toEqual(['batch.cancelled']);
  expect((await fleet.profiles.counts(POOL)).leased).toBe(0);
  expect(chromiumsUnder(fleet.dataDir)).toEqual([]);
});

it('stops a running item at its next lease renewal when the announcement was missed', async () => {
  // A bus that never delivers: the result store's refusal to extend the claim must stop the item.
  const silent = new BatchService(fleet.batches, new BullItemQueue(fleet.queue), {
    bus: { announce: async () => undefined, listen: async () => async () => undefined },
    events: fleet.events,
  });
  const batchId = `missed${Date.now()}`;
  await silent.submit({
    batchId,
    pool: POOL,
    steps: [{ goto: `${fleet.site.url}/slow?ms=500` }, { sleep: 60_000 }],
    items: [{}, {}],
  });
  await waitFor(
    'both items to be running',
    async () => {
      const events = await fleet.eventsOf(batchId);
      return events.filter((e) => e.type === 'item.started').length === 2 ? true : undefined;
    },
    E2E_WAIT,
  );
  expect((await silent.cancel(batchId)).status).toBe('cancelled');
  // Leases renew every 2 s here (a third of 6 s): far sooner than the minute each item would take.
  await waitFor(
    'every lease to come back',
    async () => ((await fleet.profiles.counts(POOL)).leased === 0 ? true : undefined),
    E2E_WAIT,
  );
  const states = await waitFor(
    'both jobs to end',
    async () => {
      const all = (await jobStates(batchId)).slice(0, 2);
      return all.every((j) => j?.state === 'completed') ? all : undefined;
    },
    E2E_WAIT,
  );
  for (const job of states) expect(job?.returned).toEqual({ cancelled: true });
  expect(await recorded(batchId)).toEqual([]);
  expect((await fleet.eventsOf(batchId)).map((e) => e.type).sort()).toEqual([
    'batch.cancelled',
    'item.started',
    'item.started',
  ]);
  await waitFor(
    'every Chromium of the fleet to be stopped',
    async () => (chromiumsUnder(fleet.dataDir).length === 0 ? true : undefined),
    E2E_WAIT,
  );
});
