/**
 * The error policy end to end — a failing step fails the item (after its attempts when
 * retryable), an item past its deadline is aborted and its profile released, and a profile whose
 * proxy is broken is quarantined while the item completes on another profile; nested steps run per
 * item and a failure inside them is recorded with its path.
 */
import { freePort, waitFor } from '@fleet/testing';
import { E2E_WAIT, Fleet } from './harness.js';

let fleet: Fleet;
let closedPort: number;
beforeAll(async () => {
  closedPort = await freePort(); // nothing listens here: a dead proxy, a dead site
  fleet = await Fleet.start({
    profiles: 3,
    proxies: { 0: { type: 'http', host: '127.0.0.1', port: closedPort } },
  });
  // Warm reuse off: each item acquires and releases its own lease, so the pool state is checkable.
  // The dead site is on loopback too: allowlisted, so it fails as a network error, not TARGET_BLOCKED.
  const allowedTargets = [`127.0.0.1:${fleet.site.port}`, `127.0.0.1:${closedPort}`];
  await fleet.startWorker({ workerConcurrency: 2, warmIdleMs: 0, allowedTargets });
});
afterAll(() => fleet?.close());

it('quarantines the profile with the broken proxy and completes the items on the others', async () => {
  const broken = fleet.profileIds[0]!;
  const batchId = await fleet.submit([{ goto: `${fleet.site.url}/` }], [{}, {}, {}, {}]);
  const events = await fleet.waitForBatch(batchId);
  const results = await fleet.resultsOf(batchId, 4);
  expect(results.map((r) => `${r?.state} ${r?.error?.code ?? ''} ${r?.error?.message ?? ''}`.trim())).toEqual(
    Array(4).fill('completed'),
  );
  for (const result of results) expect(result?.profileId).not.toBe(broken);
  expect((await fleet.profiles.get(broken))?.state).toBe('quarantined');
  expect((await fleet.profiles.get(broken))?.quarantine?.reason).toMatch(/PROXY/);
  const quarantined = (await fleet.events.readAfter('-', 10_000)).filter(
    (e) => e.type === 'profile.quarantined',
  );
  expect(quarantined.map((e) => e.profileId)).toEqual([broken]);
  expect(events.filter((e) => e.type === 'item.completed')).toHaveLength(4);
});

it('fails an item at once on a failed assertion, with the code, message and step', async () => {
  const batchId = await fleet.submit(
    [{ goto: `${fleet.site.url}/` }, { assertText: { selector: '#heading', contains: 'Nope' } }],
    [{}],
    { stepTimeoutMs: 2000 }, // assertText waits up to the step timeout for the text to appear
  );
  const events = await fleet.waitForBatch(batchId);
  const [result] = await fleet.resultsOf(batchId, 1);
  expect(result).toMatchObject({
    state: 'failed',
    attempts: 1,
    error: { code: 'ASSERTION_FAILED', step: 1, path: 'steps[1]', message: expect.stringContaining('Nope') },
  });
  expect(result?.artifacts.failure).toEqual(expect.any(String));
  // The batch's own mistake would fail on any profile: it does not count against this one.
  expect((await fleet.profiles.get(result!.profileId!))?.stats).toMatchObject({ failures: 0, failStreak: 0 });
  expect(events.filter((e) => e.type === 'item.failed')).toHaveLength(1);
  expect(await fleet.batches.get(batchId)).toMatchObject({ status: 'completed', completed: 0, failed: 1 });
});

it('retries a retryable failure, then fails the item after its attempts', async () => {
  const batchId = await fleet.submit([{ goto: `http://127.0.0.1:${closedPort}/` }], [{}]);
  await fleet.waitForBatch(batchId);
  const [result] = await fleet.resultsOf(batchId, 1);
  expect(result).toMatchObject({
    state: 'failed',
    attempts: 2,
    error: { code: 'NAVIGATION_FAILED', step: 0 },
  });
  // Network failures do count against the profiles that met them. The last attempt's profile is
  // released just after its record, whose script published the batch's events (DESIGN.md section 4,
  // "The per-item Redis path"): wait for that release.
  const failures = async () => {
    const profiles = await Promise.all(fleet.profileIds.map((id) => fleet.profiles.get(id)));
    return profiles.reduce((n, p) => n + (p?.stats.failures ?? 0), 0);
  };
  // A failed attempt's profile is released after its browser is stopped: seconds on a loaded machine.
  await waitFor('the failures counted against the profiles', async () => (await failures()) >= 2, E2E_WAIT);
});

it('aborts an item past its deadline and releases its profile', async () => {
  const batchId = await fleet.submit([{ goto: `${fleet.site.url}/` }, { sleep: 20_000 }], [{}], {
    itemTimeoutMs: 5000,
  });
  await fleet.waitForBatch(batchId);
  const [result] = await fleet.resultsOf(batchId, 1);
  expect(result).toMatchObject({ state: 'failed', error: { code: 'DEADLINE_EXCEEDED', step: 1 } });
  expect(result!.durationMs).toBeLessThan(20_000);
  // Released just after the record that published the batch's events.
  const counts = await waitFor('the profile released', async () => {
    const c = await fleet.profiles.counts('default');
    return c.leased === 0 && c;
  });
  expect(counts.quarantined).toBe(1); // only the broken-proxy profile
});

it('runs nested steps per item ({{var}} filled inside them) and names a nested failure by its path', async () => {
  const batchId = await fleet.submit(
    [
      { goto: `${fleet.site.url}/` },
      {
        forEach: { selector: 'li.product', as: 'products' },
        do: [
          { extract: { name: 'name', selector: '.name' } },
          { if: { exists: '.price' }, then: [{ extract: { name: 'price', selector: '.price' } }] },
        ],
      },
      { if: { urlContains: '{{flag}}' }, then: [{ waitFor: { selector: '#never', timeoutMs: 300 } }] },
    ],
    [{ flag: 'not-in-the-url' }, { flag: '127.0.0.1' }],
  );
  await fleet.waitForBatch(batchId);
  const [done, failed] = await fleet.resultsOf(batchId, 2);
  expect(done).toMatchObject({
    state: 'completed',
    data: {
      products: [
        { name: 'Anvil', price: '12.50' },
        { name: 'Bucket', price: '3.20' },
        { name: 'Crate', price: '7.00' },
      ],
    },
  });
  expect(failed).toMatchObject({
    state: 'failed',
    error: { code: 'SELECTOR_NOT_FOUND', step: 2, path: 'steps[2].then[0]' },
  });
  expect(failed?.error?.message).toContain('(at steps[2].then[0], waitFor)');
});
