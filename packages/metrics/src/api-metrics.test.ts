import { ApiMetrics, type ApiSources, QUEUE_STATES, within } from './api-metrics.js';
import { parseSamples, sampleSum } from './exposition.js';

const POOLS = [
  { pool: 'default', available: 2, coolingDown: 1, leased: 3, quarantined: 0 },
  { pool: 'eu', available: 0, coolingDown: 0, leased: 1, quarantined: 1 },
];

describe('ApiMetrics', () => {
  it('reads queue depths and pool counts at each scrape', async () => {
    const metrics = new ApiMetrics({ processMetrics: false });
    let waiting = 3;
    metrics.collectFrom({
      queueCounts: async (states) =>
        Object.fromEntries(states.map((s) => [s, s === 'waiting' ? waiting : 1])),
      poolCounts: async () => POOLS,
      timeoutMs: 1000,
    });
    let text = await metrics.text();
    expect(text).toContain('fleet_queue_jobs{state="waiting"} 3');
    expect(parseSamples(text).filter((s) => s.name === 'fleet_queue_jobs')).toHaveLength(QUEUE_STATES.length);
    expect(text).toContain('fleet_pool_profiles{pool="default",state="available"} 2');
    expect(text).toContain('fleet_pool_profiles{pool="default",state="cooling"} 1');
    expect(text).toContain('fleet_pool_profiles{pool="default",state="leased"} 3');
    expect(text).toContain('fleet_pool_profiles{pool="eu",state="quarantined"} 1');
    waiting = 0;
    text = await metrics.text();
    expect(text).toContain('fleet_queue_jobs{state="waiting"} 0');
    expect(sampleSum(text, 'fleet_metrics_collect_errors_total')).toBe(0);
  });

  it('leaves a failing or hanging source out of that scrape and counts it', async () => {
    const metrics = new ApiMetrics({ processMetrics: false });
    let fail = true;
    const sources: ApiSources = {
      queueCounts: async () => {
        if (fail) throw new Error("Stream isn't writeable");
        return { waiting: 1 };
      },
      poolCounts: () => (fail ? new Promise(() => {}) : Promise.resolve(POOLS)), // hangs while "down"
      timeoutMs: 50,
    };
    metrics.collectFrom(sources);
    let text = await metrics.text();
    expect(sampleSum(text, 'fleet_queue_jobs')).toBeUndefined();
    expect(sampleSum(text, 'fleet_pool_profiles')).toBeUndefined();
    expect(text).toContain('fleet_metrics_collect_errors_total{source="queue"} 1');
    expect(text).toContain('fleet_metrics_collect_errors_total{source="pools"} 1');
    fail = false;
    text = await metrics.text();
    expect(text).toContain('fleet_queue_jobs{state="waiting"} 1');
    expect(text).toContain('fleet_pool_profiles{pool="eu",state="leased"} 1');
    expect(() => metrics.collectFrom(sources)).toThrow(/twice/);
  });

  it('counts requests by route pattern, method and status class; batches submitted and cancelled', async () => {
    const metrics = new ApiMetrics({ processMetrics: false });
    metrics.request('/v1/batches/:id', 'GET', 200);
    metrics.request('/v1/batches/:id', 'GET', 404);
    metrics.request('/v1/batches/:id', 'GET', 200);
    metrics.request(undefined, 'PROPFIND', 404);
    metrics.batchesSubmitted.inc();
    metrics.batchesCancelled.inc();
    const text = await metrics.text();
    expect(text).toContain('fleet_http_requests_total{route="/v1/batches/:id",method="GET",status="2xx"} 2');
    expect(text).toContain('fleet_http_requests_total{route="/v1/batches/:id",method="GET",status="4xx"} 1');
    expect(text).toContain('fleet_http_requests_total{route="unmatched",method="other",status="4xx"} 1');
    expect(text).toContain('fleet_batches_submitted_total 1');
    expect(text).toContain('fleet_batches_cancelled_total 1');
  });
});

describe('within', () => {
  it('answers the promise, or rejects once the time is up', async () => {
    await expect(within(Promise.resolve(1), 100)).resolves.toBe(1);
    await expect(within(new Promise(() => {}), 10)).rejects.toThrow(/within 10 ms/);
    await expect(within(Promise.reject(new Error('boom')), 100)).rejects.toThrow('boom');
  });
});
