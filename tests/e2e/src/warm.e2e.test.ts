/**
 * Warm profiles: the next item reuses a started browser (and the WebDriver session kept on it); an idle
 * one is stopped and its lease released after WARM_IDLE_MS.
 */

import { Fleet, waitFor } from './harness.js';

let fleet: Fleet;
beforeAll(async () => {
  fleet = await Fleet.start({ profiles: 1 });
});
afterAll(() => fleet?.close());

it('reuses a warm browser for the next item, then stops it and releases its lease when idle', async () => {
  const worker = await fleet.startWorker({ workerConcurrency: 1, warmIdleMs: 1500 });
  const steps = [{ goto: `${fleet.site.url}/cookie` }, { extract: { name: 'state', selector: '#state' } }];
  const first = await fleet.submit(steps, [{}]);
  await fleet.waitForBatch(first);
  const second = await fleet.submit(steps, [{}]);
  const events = await fleet.waitForBatch(second);
  expect(worker.sessions.stats).toMatchObject({ starts: 1, warmReuses: 1 });
  expect(events.find((e) => e.type === 'item.started')?.data).toMatchObject({ warm: true });
  // Same browser, same profile: the cookie the first item got is there for the second.
  expect((await fleet.results.get({ batchId: second, index: 0 }))?.data.state).toBe('returning');
  expect((await fleet.profiles.counts('default')).leased).toBe(1); // still held, warm

  await waitFor(
    'the idle profile to be released',
    async () => (await fleet.profiles.counts('default')).leased === 0,
    { timeoutMs: 15_000, intervalMs: 200 },
  );
  expect(worker.sessions.heldCount).toBe(0);
  const status = await fleet.client().profileStatus(fleet.profileIds[0]!);
  expect(status.status).toBe('stopped');
});
