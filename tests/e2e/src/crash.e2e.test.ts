/**
 * Workers die and stop. A worker killed with SIGKILL mid-item: the item completes on
 * another worker once the job lock expires, with exactly one result, the dead lease reclaimed and
 * the dead worker's browser stopped. SIGTERM mid-item: the item finishes (or is put back) within
 * the grace, leases are released and the process exits 0.
 */
import type { FleetEvent } from '@fleet/contracts';
import type { AppProcess, ProcessEnd } from '@fleet/testing';
import { E2E_WAIT, Fleet, waitFor } from './harness.js';

let fleet: Fleet;
beforeAll(async () => {
  fleet = await Fleet.start({ profiles: 3 });
});
afterAll(() => fleet?.close());

/** How a worker process ended; its log when that was not exit 0. */
async function exitOf(worker: AppProcess): Promise<ProcessEnd | string> {
  const end = await worker.exited;
  return end === 0 ? 0 : `${end}:\n${worker.log()}`;
}

function waitForEvent(batchId: string, type: FleetEvent['type']): Promise<FleetEvent> {
  return waitFor(
    `a ${type} event for ${batchId}`,
    async () => (await fleet.eventsOf(batchId)).find((e) => e.type === type),
    E2E_WAIT,
  );
}

it('kill -9 mid-item: another worker completes it once, the lease is reclaimed, the browser stopped', async () => {
  const tight = { leaseTtlMs: 3000, jobLockMs: 3000, warmIdleMs: 0, workerConcurrency: 1 };
  const doomed = fleet.spawnWorker({ ...tight, workerId: 'doomed' });
  const batchId = await fleet.submit(
    [{ goto: `${fleet.site.url}/` }, { sleep: 4000 }, { extract: { name: 'h', selector: '#heading' } }],
    [{}],
  );
  const started = await waitForEvent(batchId, 'item.started');
  doomed.signal('SIGKILL');
  await doomed.exited;
  const deadProfile = started.profileId!;

  const survivor = await fleet.startWorker({ ...tight, workerId: 'survivor' });
  const events = await fleet.waitForBatch(batchId);
  const [result] = await fleet.resultsOf(batchId, 1);
  expect(result).toMatchObject({ state: 'completed', data: { h: 'Products' } });
  expect(events.filter((e) => e.type === 'item.completed')).toHaveLength(1);
  expect(events.filter((e) => e.type === 'batch.completed')).toHaveLength(1);

  // The dead worker's lease is taken back and its browser stopped (by the survivor's reclaim loop).
  // (Unless the survivor took the same profile for the item: then its browser runs again.)
  let state = '';
  let status = '';
  await waitFor(
    "the dead worker's lease to be reclaimed and its browser stopped",
    async () => {
      const profile = await fleet.profiles.get(deadProfile);
      state = profile?.lease?.owner === 'doomed' ? 'held by doomed' : (profile?.state ?? 'missing');
      status = (await fleet.client().profileStatus(deadProfile)).status;
      return state !== 'held by doomed' && (status === 'stopped' || result?.profileId === deadProfile);
    },
    { timeoutMs: 20_000, intervalMs: 250, context: () => `profile: ${state}; browser: ${status}` },
  );
  await survivor.close();
  expect((await fleet.profiles.counts('default')).leased).toBe(0);
});

it('SIGTERM mid-item: the item finishes within the grace, leases are released, exit 0', async () => {
  const worker = fleet.spawnWorker({ workerId: 'graceful', shutdownGraceMs: 15_000, workerConcurrency: 1 });
  const batchId = await fleet.submit([{ goto: `${fleet.site.url}/` }, { sleep: 2500 }], [{}]);
  await waitForEvent(batchId, 'item.started');
  worker.signal('SIGTERM');
  expect(await exitOf(worker)).toBe(0);
  const [result] = await fleet.resultsOf(batchId, 1);
  expect(result?.state).toBe('completed');
  expect((await fleet.profiles.counts('default')).leased).toBe(0);
});

it('SIGTERM with a short grace: the item is aborted and put back, exit 0, and a new worker completes it', async () => {
  const worker = fleet.spawnWorker({ workerId: 'hasty', shutdownGraceMs: 500, workerConcurrency: 1 });
  const batchId = await fleet.submit([{ goto: `${fleet.site.url}/` }, { sleep: 6000 }], [{}]);
  await waitForEvent(batchId, 'item.started');
  const stoppedAt = Date.now();
  worker.signal('SIGTERM');
  expect(await exitOf(worker)).toBe(0);
  expect(Date.now() - stoppedAt).toBeLessThan(6000); // it did not wait for the 6 s step
  expect(await fleet.results.get({ batchId, index: 0 })).toBeNull();
  expect((await fleet.profiles.counts('default')).leased).toBe(0);
  const job = await fleet.queue.getJob(`${batchId}.0`);
  expect(['delayed', 'waiting']).toContain(await job?.getState());
  expect(job?.attemptsMade).toBe(0); // put back without spending an attempt

  const next = await fleet.startWorker({ workerId: 'next', warmIdleMs: 0 });
  await fleet.waitForBatch(batchId);
  expect((await fleet.resultsOf(batchId, 1))[0]?.state).toBe('completed');
  await next.close();
});
