import { EventEmitter } from 'node:events';
import { sampleSum } from './exposition.js';
import { type SessionStats, WorkerMetrics } from './worker-metrics.js';

describe('WorkerMetrics', () => {
  const stats: SessionStats = { starts: 0, warmReuses: 0, lost: 0, quarantined: 0 };
  let held = 0;
  const metrics = new WorkerMetrics({ sessionStats: () => stats, heldProfiles: () => held });

  it('counts recorded items by state and code, and observes their durations', async () => {
    metrics.itemRecorded({ state: 'completed', durationMs: 1500 });
    metrics.itemRecorded({ state: 'completed', durationMs: 300 });
    metrics.itemRecorded({ state: 'failed', durationMs: 700, error: { code: 'ASSERTION_FAILED' } });
    metrics.itemRetried('PROVIDER_UNAVAILABLE');
    metrics.acquireWaited();
    metrics.acquireWaited();
    metrics.providerUnreachableSeen('http://10.231.0.12:45001');
    metrics.siteWaited('shop.example.com');
    const text = await metrics.text();
    expect(text).toContain('fleet_items_total{state="completed"} 2');
    expect(text).toContain('fleet_items_total{state="failed",code="ASSERTION_FAILED"} 1');
    expect(sampleSum(text, 'fleet_item_duration_seconds_count')).toBe(3);
    expect(sampleSum(text, 'fleet_item_duration_seconds_sum', { state: 'completed' })).toBeCloseTo(1.8);
    expect(sampleSum(text, 'fleet_item_duration_seconds_bucket', { state: 'completed', le: '0.5' })).toBe(1);
    expect(text).toContain('fleet_item_retries_total{code="PROVIDER_UNAVAILABLE"} 1');
    expect(text).toContain('fleet_lease_acquire_waits_total 2');
    expect(text).toContain('fleet_site_waits_total{site="shop.example.com"} 1');
    expect(text).toContain('fleet_provider_unreachable_total{launcher="http://10.231.0.12:45001"} 1');
  });

  it('keeps each failure code apart when the same codes come again (its label children are cached)', async () => {
    const own = new WorkerMetrics({ sessionStats: () => stats, heldProfiles: () => 0 });
    for (const code of ['STEP_TIMEOUT', 'NAVIGATION_FAILED', 'STEP_TIMEOUT']) {
      own.itemRecorded({ state: 'failed', durationMs: 200, error: { code } });
    }
    own.itemRecorded({ state: 'failed', durationMs: 100 });
    const text = await own.text();
    expect(text).toContain('fleet_items_total{state="failed",code="STEP_TIMEOUT"} 2');
    expect(text).toContain('fleet_items_total{state="failed",code="NAVIGATION_FAILED"} 1');
    expect(text).toContain('fleet_items_total{state="failed",code="UNKNOWN"} 1');
    expect(text).not.toContain('fleet_items_total{state="completed"}');
    expect(sampleSum(text, 'fleet_item_duration_seconds_sum', { state: 'failed' })).toBeCloseTo(0.7);
    expect(sampleSum(text, 'fleet_item_duration_seconds_count', { state: 'completed' })).toBeUndefined();
  });

  it('reads browser starts, warm reuses, lost leases, quarantines and held profiles at each scrape', async () => {
    Object.assign(stats, { starts: 3, warmReuses: 5, lost: 1, quarantined: 2 });
    held = 2;
    let text = await metrics.text();
    expect(text).toContain('fleet_browser_starts_total 3');
    expect(text).toContain('fleet_browser_warm_reuses_total 5');
    expect(text).toContain('fleet_leases_lost_total 1');
    expect(text).toContain('fleet_profiles_quarantined_total 2');
    expect(text).toContain('fleet_profiles_held 2');
    stats.starts = 4;
    held = 0;
    text = await metrics.text();
    expect(text).toContain('fleet_browser_starts_total 4');
    expect(text).toContain('fleet_profiles_held 0');
  });

  it("counts a connection's error events until unwatched", async () => {
    const connection = new EventEmitter();
    const unwatch = metrics.watchRedis(connection, 'main');
    expect(await metrics.text()).toContain('fleet_redis_errors_total{connection="main"} 0');
    connection.emit('error', new Error('ECONNREFUSED'));
    connection.emit('error', new Error('ECONNRESET'));
    expect(await metrics.text()).toContain('fleet_redis_errors_total{connection="main"} 2');
    unwatch();
    expect(connection.listenerCount('error')).toBe(0);
  });

  it('has process metrics under their standard names, and each instance its own registry', async () => {
    const text = await metrics.text();
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes /m);
    expect(metrics.contentType).toMatch(/^text\/plain/);
    const other = new WorkerMetrics(
      { sessionStats: () => stats, heldProfiles: () => 0 },
      { processMetrics: false },
    );
    const otherText = await other.text();
    expect(otherText).not.toContain('process_cpu_user_seconds_total');
    expect(sampleSum(otherText, 'fleet_item_duration_seconds_count')).toBeUndefined();
  });
});
