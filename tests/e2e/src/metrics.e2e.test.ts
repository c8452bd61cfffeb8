/**
 * The worker's /metrics (on its health port) counts what it did: items by state and
 * error code, their durations, browser starts against warm reuses.
 */
import { parseSamples, sampleSum } from '@fleet/metrics';
import { sleep } from '@fleet/testing';
import type { RunningWorker } from '@fleet/worker';
import { Fleet } from './harness.js';

let fleet: Fleet;
let worker: RunningWorker;
beforeAll(async () => {
  fleet = await Fleet.start({ profiles: 2 });
});
afterAll(() => fleet?.close());

async function scrape(): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${worker.healthPort}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The worker counts an item before its job leaves `active`: once the queue is idle, all are counted. */
async function queueIdle(): Promise<void> {
  for (;;) {
    const counts = await fleet.queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized');
    if (Object.values(counts).every((n) => n === 0)) return;
    await sleep(100);
  }
}

it('counts completed and failed items by code, their durations, and browser starts vs warm reuses', async () => {
  const want = (text: string) => ({ want: text });
  const batchId = await fleet.submit(
    [{ goto: `${fleet.site.url}/` }, { assertText: { selector: '#heading', contains: '{{want}}' } }],
    [want('Products'), want('Products'), want('Nope'), want('Products'), want('Products')],
    { stepTimeoutMs: 2000 }, // the failing assertion waits this long for its text
  );
  // Started with the items waiting: it takes three at once for two profiles, so one waits.
  worker = await fleet.startWorker({ workerConcurrency: 3 }); // warm reuse on (30 s)
  await fleet.waitForBatch(batchId);
  await queueIdle();
  const results = await fleet.resultsOf(batchId, 5);
  expect(results.map((r) => `${r?.state} ${r?.error?.code ?? ''}`.trim())).toEqual([
    'completed',
    'completed',
    'failed ASSERTION_FAILED',
    'completed',
    'completed',
  ]);

  const text = await scrape();
  const items = parseSamples(text).filter((s) => s.name === 'fleet_items_total');
  expect(items.map((s) => [s.labels, s.value])).toEqual(
    expect.arrayContaining([
      [{ state: 'completed' }, 4],
      [{ state: 'failed', code: 'ASSERTION_FAILED' }, 1],
    ]),
  );
  expect(items).toHaveLength(2);
  expect(sampleSum(text, 'fleet_item_duration_seconds_count')).toBe(5);
  expect(sampleSum(text, 'fleet_item_duration_seconds_count', { state: 'failed' })).toBe(1);
  expect(sampleSum(text, 'fleet_item_duration_seconds_sum')).toBeGreaterThan(0);
  // Every item ran on a freshly started browser or on a warm one, never both, never neither.
  const starts = sampleSum(text, 'fleet_browser_starts_total')!;
  const reuses = sampleSum(text, 'fleet_browser_warm_reuses_total')!;
  expect(starts + reuses).toBe(5);
  expect(starts).toBeGreaterThanOrEqual(1);
  expect({ starts, reuses }).toEqual({
    starts: worker.sessions.stats.starts,
    reuses: worker.sessions.stats.warmReuses,
  });
  expect(sampleSum(text, 'fleet_leases_lost_total')).toBe(0);
  expect(sampleSum(text, 'fleet_lease_acquire_waits_total')).toBeGreaterThanOrEqual(1);
  expect(sampleSum(text, 'fleet_profiles_held')).toBeLessThanOrEqual(2);
  expect(sampleSum(text, 'fleet_item_retries_total')).toBeUndefined();
  expect(sampleSum(text, 'fleet_redis_errors_total', { connection: 'main' })).toBe(0);
  expect(sampleSum(text, 'fleet_redis_errors_total', { connection: 'blocking' })).toBe(0); // BullMQ's own
  expect(text).toMatch(/^process_resident_memory_bytes /m);
});
