import { MAX_PRIORITY } from '@fleet/contracts';
import { fairQueueName, ITEMS_QUEUE } from '@fleet/queue';
import { RedisFairShare } from '@fleet/redis';
import {
  ACME_KEY,
  auth,
  batchBody,
  json,
  OPS_KEY,
  startTestApi,
  type TestApi,
  useTestApi,
} from './test-app.js';

type Tenant = { tenant: string; weight: number; cap: number; waiting: number; running: number };
const PROFILES = [{ id: 'p-fair', pool: 'default' }];

async function submit(t: TestApi, key: string, items: number, extra: Record<string, unknown> = {}) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/batches',
    headers: auth(key),
    payload: batchBody(items, extra),
  });
  expect(res.statusCode).toBe(202);
  return json<{ id: string }>(res).id;
}

const pools = async (t: TestApi, key: string) =>
  json<{ tenants?: Tenant[]; sites?: unknown[] }>(
    await t.app.inject({ url: '/v1/pools', headers: auth(key) }),
  );

describe('fair share on (FLEET_FAIR_SHARE)', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi({ fairShare: true });
    for (const p of PROFILES) await t.profiles.register(p);
  });
  afterAll(() => t.close());

  it('keeps submitted items under their key, shown per key by GET /v1/pools, until a dispatcher hands them out', async () => {
    const mine = await submit(t, ACME_KEY, 3);
    const ops = await submit(t, OPS_KEY, 2);
    expect(await t.queue.getJob(`${mine}.0`)).toBeUndefined(); // not in BullMQ yet
    const admin = await pools(t, OPS_KEY);
    expect(admin.tenants).toEqual([
      { tenant: 'acme', weight: 1, cap: 0, waiting: 3, running: 0 },
      { tenant: 'ops', weight: 1, cap: 0, waiting: 2, running: 0 },
    ]);
    expect(admin.sites).toEqual([]);
    // A user key sees its own standing only, and no sites.
    const user = await pools(t, ACME_KEY);
    expect(user.tenants).toEqual([{ tenant: 'acme', weight: 1, cap: 0, waiting: 3, running: 0 }]);
    expect(user.sites).toBeUndefined();
    // Its items read as queued; a cancel drops them.
    const items = json<{ items: { state: string }[] }>(
      await t.app.inject({ url: `/v1/batches/${mine}/items`, headers: auth(ACME_KEY) }),
    );
    expect(items.items.map((i) => i.state)).toEqual(['queued', 'queued', 'queued']);
    const cancel = await t.app.inject({
      method: 'POST',
      url: `/v1/batches/${mine}/cancel`,
      headers: auth(ACME_KEY),
    });
    expect(cancel.statusCode).toBe(200);
    expect((await pools(t, OPS_KEY)).tenants?.[0]).toMatchObject({ tenant: 'acme', waiting: 0 });
    // What a dispatcher takes next is the ops batch (acme's is gone), with its job options.
    const taken = await new RedisFairShare(t.redis, t.prefix).take(fairQueueName(ITEMS_QUEUE), 10);
    expect(taken.map((i) => i.id)).toEqual([`${ops}.0`, `${ops}.1`]);
    expect(taken[0]!.data).toMatchObject({ batchId: ops, index: 0, owner: 'ops', tenant: 'ops' });
    expect(taken[0]!.opts).toMatchObject({ attempts: 3, removeOnComplete: { age: 3600, count: 1000 } });
  });

  it('counts pending items in the autoscaler demand and in fleet_tenant_items{tenant,state}', async () => {
    const id = await submit(t, ACME_KEY, 2);
    const demand = json<Record<string, number>>(await t.app.inject({ url: '/metrics/queue' }));
    expect(demand).toMatchObject({ waiting: 0, pending: 2, demand: 1 }); // 1 profile can run them
    const text = (await t.app.inject({ url: '/metrics' })).body;
    expect(text).toContain('fleet_tenant_items{tenant="acme",state="waiting"} 2');
    expect(text).toContain('fleet_tenant_items{tenant="acme",state="running"} 0');
    expect(text).not.toContain(ACME_KEY);
    await t.app.inject({ method: 'POST', url: `/v1/batches/${id}/cancel`, headers: auth(ACME_KEY) });
  });

  it('an admin raises a running batch above an earlier one of the same key', async () => {
    const fair = new RedisFairShare(t.redis, t.prefix);
    const first = await submit(t, ACME_KEY, 2);
    const second = await submit(t, ACME_KEY, 2, { options: { priority: 10 } });
    const res = await t.app.inject({
      method: 'PUT',
      url: `/v1/admin/batches/${first}/priority`,
      headers: auth(OPS_KEY),
      payload: { priority: 20 },
    });
    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({ id: first, priority: 20, reordered: 2 });
    const order = (await fair.take(fairQueueName(ITEMS_QUEUE), 4)).map((i) => i.id);
    expect(order).toEqual([`${second}.0`, `${second}.1`, `${first}.0`, `${first}.1`]);
  });
});

describe('PUT /v1/admin/batches/:id/priority (fair share off)', () => {
  const t = useTestApi(PROFILES);

  it('re-prioritises the jobs waiting in BullMQ', async () => {
    const id = await submit(t, ACME_KEY, 3);
    const res = await t.app.inject({
      method: 'PUT',
      url: `/v1/admin/batches/${id}/priority`,
      headers: auth(OPS_KEY),
      payload: { priority: 7 },
    });
    expect(json(res)).toEqual({ id, priority: 7, reordered: 3 });
    expect((await t.queue.getJob(`${id}.2`))?.priority).toBe(7);
    expect(await t.queue.getPrioritizedCount()).toBe(3);
    // The pools view has no tenants without fair share.
    expect((await pools(t, OPS_KEY)).tenants).toBeUndefined();
  });

  it('is for admins, names an unknown batch, and says what a bad priority is', async () => {
    const id = await submit(t, ACME_KEY, 1);
    const put = (key: string, url: string, payload: unknown) =>
      t.app.inject({ method: 'PUT', url, headers: auth(key), payload: payload as Record<string, unknown> });
    expect((await put(ACME_KEY, `/v1/admin/batches/${id}/priority`, { priority: 1 })).statusCode).toBe(403);
    const missing = await put(OPS_KEY, '/v1/admin/batches/AAAAAAAAAAAAAAAA/priority', { priority: 1 });
    expect(missing.statusCode).toBe(404);
    expect(json(missing)).toMatchObject({ error: { code: 'BATCH_NOT_FOUND' } });
    for (const bad of [{ priority: 0 }, { priority: MAX_PRIORITY + 1 }, { priority: 'high' }, {}]) {
      const res = await put(OPS_KEY, `/v1/admin/batches/${id}/priority`, bad);
      expect(res.statusCode).toBe(400);
      expect(json(res)).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    }
  });
});
