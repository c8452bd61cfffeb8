/**
 * Code scenario batches through the real API (buildServer over the test Redis): what workers
 * advertise is listed; a batch naming an unknown scenario or with inputs that do not match its
 * advertised schema is refused with per-item details; an accepted batch's items go to the
 * scenario's own queue, and while no live worker has it the batch and the pool view say so.
 */
import { sampleSum } from '@fleet/metrics';
import { ITEMS_QUEUE, ItemQueues, scenarioQueueName } from '@fleet/queue';
import { RedisScenarioRegistry } from '@fleet/redis';
import { sleep } from '@fleet/testing';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ACME_KEY, auth, json, OPS_KEY, useTestApi } from './test-app.js';

const input = z.object({
  query: z.string().min(1),
  size: z.enum(['s', 'm', 'l']).default('m'),
  qty: z.number().int().min(1).max(5).optional(),
});
const schema = z.toJSONSchema(input, { io: 'input' }) as Record<string, unknown>;

type Err = { error: { code: string; message: string; details: { field: string; message: string }[] } };

describe('code scenarios in the API', () => {
  const t = useTestApi([{ id: 'p1', pool: 'default' }]);
  let registry: RedisScenarioRegistry;
  let queues: ItemQueues;
  afterAll(() => queues.close());
  beforeAll(async () => {
    queues = new ItemQueues(t.queue);
    registry = new RedisScenarioRegistry(t.redis, t.prefix, { ttlMs: 60_000 });
    await registry.advertise('w1', [
      { name: 'shop', version: '1', inputSchema: schema },
      { name: 'shop', version: '2', inputSchema: schema },
    ]);
  });
  const submit = (body: Record<string, unknown>, key = ACME_KEY) =>
    t.app.inject({ method: 'POST', url: '/v1/batches', headers: auth(key), payload: body });

  it('lists the advertised scenarios with their input schema and live workers', async () => {
    const res = await t.app.inject({ url: '/v1/scenarios', headers: auth(ACME_KEY) });
    expect(res.statusCode).toBe(200);
    const { scenarios } = json<{ scenarios: Record<string, unknown>[] }>(res);
    expect(scenarios.map((s) => [s.id, s.name, s.version, s.workers])).toEqual([
      ['shop@1', 'shop', '1', 1],
      ['shop@2', 'shop', '2', 1],
    ]);
    expect(scenarios[0]?.inputSchema).toEqual(schema);
    expect((await t.app.inject({ url: '/v1/scenarios' })).statusCode).toBe(401);
  });

  it('refuses an unknown scenario or version: 400 SCENARIO_UNKNOWN', async () => {
    for (const scenario of ['nope', 'shop@3']) {
      const res = await submit({ scenario, items: [{ query: 'x' }] });
      expect(res.statusCode).toBe(400);
      expect(json<Err>(res).error).toMatchObject({
        code: 'SCENARIO_UNKNOWN',
        details: [{ field: 'scenario' }],
      });
    }
  });

  it("refuses items that do not match the scenario's input schema, naming items[i].field", async () => {
    const res = await submit({
      scenario: 'shop@1',
      items: [{ query: 'ok' }, { query: '', size: 'xl' }, { size: 's', qty: 9 }],
    });
    expect(res.statusCode).toBe(400);
    const { error } = json<Err>(res);
    expect(error.code).toBe('SCENARIO_INPUT_INVALID');
    expect(error.details.map((d) => d.field).sort()).toEqual([
      'items[1].query',
      'items[1].size',
      'items[2].qty',
      'items[2].query',
    ]);
  });

  it('refuses steps and scenario together (or neither), and a bad scenario spelling', async () => {
    const both = await submit({ scenario: 'shop', steps: [{ goto: 'https://a.test/' }], items: [{}] });
    const neither = await submit({ items: [{}] });
    const bad = await submit({ scenario: 'shop@v1', items: [{}] });
    for (const res of [both, neither, bad]) {
      expect(res.statusCode).toBe(400);
      expect(json<Err>(res).error.code).toBe('VALIDATION_FAILED');
    }
    expect(json<Err>(bad).error.details[0]?.field).toBe('scenario');
  });

  it("queues the items in the latest version's own queue, with their inputs", async () => {
    const res = await submit({ scenario: 'shop', items: [{ query: 'lamp' }, { query: 'mug', size: 'l' }] });
    expect(res.statusCode).toBe(202);
    const view = json<{ id: string; scenario: string; waitingFor?: unknown }>(res);
    expect(view.scenario).toBe('shop@2');
    expect(view.waitingFor).toBeUndefined(); // w1 is alive
    const queue = queues.of('shop@2');
    expect(queue.name).toBe(scenarioQueueName('shop@2'));
    const job = await queue.getJob(`${view.id}.1`);
    expect(job?.data).toMatchObject({
      scenario: { name: 'shop', version: '2' },
      input: { query: 'mug', size: 'l' },
    });
    expect(job?.data.steps).toBeUndefined();
    expect(await t.queue.getJob(`${view.id}.1`)).toBeUndefined(); // not in the steps queue
    expect(t.queue.name).toBe(ITEMS_QUEUE);
    const items = await t.app.inject({ url: `/v1/batches/${view.id}/items`, headers: auth(ACME_KEY) });
    expect(json<{ items: { state: string }[] }>(items).items.map((i) => i.state)).toEqual([
      'queued',
      'queued',
    ]);
  });

  it("lists the scenarios' queues in Bull Board, with their jobs", async () => {
    const res = await t.app.inject({ url: '/admin/queues/api/queues', headers: auth(OPS_KEY) });
    expect(res.statusCode).toBe(200);
    const listed = json<{ queues: { name: string; counts: Record<string, number> }[] }>(res).queues;
    expect(listed.map((q) => q.name).sort()).toEqual(
      [ITEMS_QUEUE, scenarioQueueName('shop@1'), scenarioQueueName('shop@2')].sort(),
    );
    expect(listed.find((q) => q.name === scenarioQueueName('shop@2'))?.counts.waiting).toBe(2);
    // /metrics' queue depths add the scenario queues to the items queue.
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    expect(sampleSum(metrics, 'fleet_queue_jobs', { state: 'waiting' })).toBe(2);
  });

  it('says why a batch waits when no live worker has its scenario, and cancel empties its queue', async () => {
    const short = new RedisScenarioRegistry(t.redis, t.prefix, { ttlMs: 200 });
    await short.advertise('w9', [{ name: 'lonely', version: '1.0', inputSchema: schema }]);
    const res = await submit({ scenario: 'lonely@1.0', items: [{ query: 'a' }, { query: 'b' }] });
    expect(res.statusCode).toBe(202);
    const id = json<{ id: string }>(res).id;
    await sleep(300); // w9's heartbeat lapses
    const batch = await t.app.inject({ url: `/v1/batches/${id}`, headers: auth(ACME_KEY) });
    expect(json(batch)).toMatchObject({
      scenario: 'lonely@1.0',
      waitingFor: { scenario: 'lonely@1.0', workers: 0 },
    });
    const pools = await t.app.inject({ url: '/v1/pools', headers: auth(OPS_KEY) });
    expect(json(pools)).toMatchObject({ waitingFor: [{ scenario: 'lonely@1.0', workers: 0, queued: 2 }] });
    const scenarios = json<{ scenarios: { id: string; workers: number }[] }>(
      await t.app.inject({ url: '/v1/scenarios', headers: auth(ACME_KEY) }),
    ).scenarios;
    expect(scenarios.find((s) => s.id === 'lonely@1.0')?.workers).toBe(0);

    const cancel = await t.app.inject({
      method: 'POST',
      url: `/v1/batches/${id}/cancel`,
      headers: auth(ACME_KEY),
    });
    expect(json(cancel)).toMatchObject({ status: 'cancelled', removed: 2 });
    expect(await queues.of('lonely@1.0').count()).toBe(0);
  });

  it("shows an open item's attempts from its scenario's queue, on the item and in the list", async () => {
    const res = await submit({ scenario: 'shop@1', items: [{ query: 'lamp' }], options: { attempts: 3 } });
    const id = json<{ id: string }>(res).id;
    // One real failed attempt: a BullMQ worker of the scenario queue takes the job and fails it.
    // This file runs on one Redis only (not in test:cluster); BullMQ's worker wants no retry cap.
    const connection = (t.redis as Redis).duplicate({ maxRetriesPerRequest: null });
    const worker = new Worker(scenarioQueueName('shop@1'), null, { connection, prefix: t.prefix });
    try {
      const job = await worker.getNextJob('test-token');
      expect(job?.id).toBe(`${id}.0`);
      await job!.moveToFailed(new Error('first attempt'), 'test-token');
    } finally {
      await worker.close();
      connection.disconnect();
    }
    const item = json<{ state: string; attempts: number }>(
      await t.app.inject({ url: `/v1/batches/${id}/items/0`, headers: auth(ACME_KEY) }),
    );
    expect(item).toMatchObject({ state: 'queued', attempts: 1 });
    const list = json<{ items: { attempts: number }[] }>(
      await t.app.inject({ url: `/v1/batches/${id}/items`, headers: auth(ACME_KEY) }),
    );
    expect(list.items[0]?.attempts).toBe(1);
  });
});
