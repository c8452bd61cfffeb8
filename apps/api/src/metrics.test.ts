import { randomUUID } from 'node:crypto';
import { parseSamples, sampleSum } from '@fleet/metrics';
import { createRedis } from '@fleet/redis';
import { RedisServer, testRedisTarget } from '@fleet/testing';
import { Worker } from 'bullmq';
import { ACME_KEY, auth, batchBody, json, OPS_KEY, startTestApi, type TestApi } from './test-app.js';

async function scrape(t: TestApi): Promise<string> {
  const res = await t.app.inject({ url: '/metrics' }); // public: no key
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.body;
}

describe('GET /metrics', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi();
    for (const id of ['m1', 'm2', 'm3']) await t.profiles.register({ id, pool: 'default' });
    await t.profiles.register({ id: 'e1', pool: 'eu' });
  });
  afterAll(() => t.close());

  it('shows queue depths after a submit, and counts new batches and cancels once', async () => {
    const submit = (key?: string) =>
      t.app.inject({
        url: '/v1/batches',
        method: 'POST',
        headers: { ...auth(ACME_KEY), ...(key ? { 'idempotency-key': key } : {}) },
        payload: batchBody(3),
      });
    const first = await submit('metrics-submit-1');
    expect(first.statusCode).toBe(202);
    expect((await submit('metrics-submit-1')).headers['idempotent-replayed']).toBe('true');
    let text = await scrape(t);
    expect(text).toContain('fleet_queue_jobs{state="waiting"} 3');
    expect(text).toContain('fleet_queue_jobs{state="active"} 0');
    expect(text).toContain('fleet_batches_submitted_total 1');

    expect((await submit()).statusCode).toBe(202);
    text = await scrape(t);
    expect(text).toContain('fleet_queue_jobs{state="waiting"} 6');
    expect(text).toContain('fleet_batches_submitted_total 2');

    const { id } = json<{ id: string }>(first);
    for (let i = 0; i < 2; i++) {
      const cancel = await t.app.inject({
        url: `/v1/batches/${id}/cancel`,
        method: 'POST',
        headers: auth(ACME_KEY),
      });
      expect(cancel.statusCode).toBe(200);
    }
    text = await scrape(t);
    expect(text).toContain('fleet_batches_cancelled_total 1');
    expect(text).toContain('fleet_queue_jobs{state="waiting"} 3');
    expect(text).toContain('fleet_metrics_collect_errors_total{source="queue"} 0');
  });

  it('shows each pool by state after profiles are leased and quarantined', async () => {
    const lease = await t.profiles.acquire({ pool: 'default' }, 'test-worker', randomUUID(), 30_000);
    expect(lease).not.toBeNull();
    await t.profiles.quarantine('e1', 'test', 60_000);
    const text = await scrape(t);
    const pools = parseSamples(text).filter((s) => s.name === 'fleet_pool_profiles');
    expect(pools.map((s) => [s.labels.pool, s.labels.state, s.value]).sort()).toEqual(
      [
        ['default', 'available', 2],
        ['default', 'cooling', 0],
        ['default', 'leased', 1],
        ['default', 'quarantined', 0],
        ['eu', 'available', 0],
        ['eu', 'cooling', 0],
        ['eu', 'leased', 0],
        ['eu', 'quarantined', 1],
      ].sort(),
    );
  });

  it('counts requests by route pattern and status class, and names no batch or key', async () => {
    const before = sampleSum(await scrape(t), 'fleet_http_requests_total', {
      route: '/v1/batches/:id',
      status: '4xx',
    });
    const missing = 'AAAAAAAAAAAAAAAAAAAAAAAA';
    expect((await t.app.inject({ url: `/v1/batches/${missing}`, headers: auth(OPS_KEY) })).statusCode).toBe(
      404,
    );
    expect((await t.app.inject({ url: '/v1/batches' })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/no/such/route' })).statusCode).toBe(404);
    const text = await scrape(t);
    expect(
      sampleSum(text, 'fleet_http_requests_total', {
        route: '/v1/batches/:id',
        method: 'GET',
        status: '4xx',
      }),
    ).toBe((before ?? 0) + 1);
    expect(
      sampleSum(text, 'fleet_http_requests_total', { route: '/v1/batches', method: 'GET', status: '4xx' }),
    ).toBeGreaterThan(0);
    expect(
      sampleSum(text, 'fleet_http_requests_total', { route: '/v1/batches', method: 'POST', status: '2xx' }),
    ).toBe(3);
    expect(sampleSum(text, 'fleet_http_requests_total', { route: 'unmatched' })).toBeGreaterThan(0);
    expect(
      sampleSum(text, 'fleet_http_requests_total', { route: '/metrics', status: '2xx' }),
    ).toBeGreaterThan(0);
    expect(text).not.toContain(missing);
    for (const name of ['acme', 'ops', 'metrics-submit-1']) expect(text).not.toMatch(new RegExp(`"${name}"`));
    expect(text).toMatch(/^fleet_redis_errors_total\{connection="main"\} 0$/m);
    expect(text).toMatch(/^process_resident_memory_bytes /m);
  });
});

describe('GET /metrics while Redis is down', () => {
  // The jest timeout is the bound: a scrape must not wait on Redis for longer than the
  // connection's command timeout (1 s here); the point is "no hang", not a measured time.
  it('answers without the Redis gauges, counting the failed readings and the connection errors', async () => {
    const server = await RedisServer.start();
    const t = await startTestApi({}, {}, { redisUrl: server.url });
    try {
      await t.profiles.register({ id: 'p1', pool: 'default' });
      expect(await scrape(t)).toContain('fleet_pool_profiles{pool="default",state="available"} 1');
      const refused = new Promise((resolve) => t.redis.once('error', resolve)); // a reconnect refused
      await server.stop();
      await refused;
      const text = await scrape(t);
      expect(sampleSum(text, 'fleet_queue_jobs')).toBeUndefined();
      expect(sampleSum(text, 'fleet_pool_profiles')).toBeUndefined();
      expect(text).toContain('fleet_metrics_collect_errors_total{source="queue"} 1');
      expect(text).toContain('fleet_metrics_collect_errors_total{source="pools"} 1');
      expect(sampleSum(text, 'fleet_redis_errors_total', { connection: 'main' })).toBeGreaterThan(0);
      expect(sampleSum(text, 'fleet_http_requests_total', { route: '/metrics', status: '2xx' })).toBe(1);
    } finally {
      await t.app.close();
      t.redis.disconnect();
      await server.close();
    }
  }, 20_000);
});

describe('GET /metrics/queue (what an autoscaler reads)', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi();
    for (const id of ['q1', 'q2', 'q3', 'q4', 'q5']) await t.profiles.register({ id, pool: 'default' });
  });
  afterAll(() => t.close());

  const read = async () => {
    const res = await t.app.inject({ url: '/metrics/queue' }); // public: no key
    expect(res.statusCode).toBe(200);
    return json<Record<string, number>>(res);
  };

  it('counts waiting, prioritized, delayed and active items, capped by the profiles that can run them', async () => {
    expect(await read()).toEqual({
      waiting: 0,
      pending: 0,
      prioritized: 0,
      delayed: 0,
      active: 0,
      profiles: 5,
      demand: 0,
    });
    const submit = (body: object) =>
      t.app.inject({ url: '/v1/batches', method: 'POST', headers: auth(ACME_KEY), payload: body });
    expect((await submit(batchBody(2))).statusCode).toBe(202);
    expect((await submit(batchBody(1, { options: { priority: 5 } }))).statusCode).toBe(202);
    // One item handed back for later (as a worker does when no profile is free): delayed, not waiting.
    const connection = createRedis(testRedisTarget(), { role: 'worker' });
    const worker = new Worker(t.queue.name, null, {
      connection,
      prefix: t.queue.opts.prefix,
    });
    try {
      const token = 'metrics-queue-test';
      const taken = await worker.getNextJob(token);
      expect(taken).toBeDefined();
      let reading = await read();
      expect(reading).toEqual({
        waiting: 1,
        pending: 0,
        prioritized: 1,
        delayed: 0,
        active: 1,
        profiles: 5,
        demand: 3,
      });
      await taken!.moveToDelayed(Date.now() + 60_000, token);
      reading = await read();
      expect(reading).toEqual({
        waiting: 1,
        pending: 0,
        prioritized: 1,
        delayed: 1,
        active: 0,
        profiles: 5,
        demand: 3,
      });
    } finally {
      await worker.close();
      await connection.quit();
    }
    // Quarantined profiles cannot run items: demand never exceeds the profiles that can.
    for (const id of ['q1', 'q2', 'q3']) await t.profiles.quarantine(id, 'test', 60_000);
    expect(await read()).toMatchObject({ profiles: 2, demand: 2 });
  });
});
