import type { BatchView, ItemView } from '@fleet/contracts';
import { RedisBatchStore, RedisEventStream, RedisResultStore } from '@fleet/redis';
import { newBatchId } from './routes/batches-routes.js';
import { ACME_KEY, auth, batchBody, json, OPS_KEY, OTHER_KEY, useTestApi } from './test-app.js';

describe('batches API', () => {
  const t = useTestApi([{ id: 'p1', pool: 'default' }]);

  const submit = (key: string, body: unknown = batchBody(), headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: { ...auth(key), ...headers },
      payload: body as object,
    });

  it('accepts a batch: 202 with its id and links, one job per item with id <batch>.<index>', async () => {
    const res = await submit(ACME_KEY, batchBody(3, { options: { attempts: 5, priority: 3 } }));
    expect(res.statusCode).toBe(202);
    const view = json<BatchView>(res);
    expect(view).toMatchObject({
      status: 'queued',
      total: 3,
      completed: 0,
      failed: 0,
      owner: 'acme',
      pool: 'default',
    });
    expect(view.links.self).toBe(`/v1/batches/${view.id}`);
    const job = await t.queue.getJob(`${view.id}.2`);
    expect(job?.data.steps[0]).toEqual({ goto: 'https://example.test/p2' });
    expect(job?.data.owner).toBe('acme');
    expect(job?.opts.attempts).toBe(5);
    expect(job?.opts.priority).toBe(3);
    expect(await t.queue.getJob(`${view.id}.3`)).toBeUndefined();
  });

  it('plans nested steps: every {{var}} in then/else/do filled per item, the structure kept', async () => {
    const steps = [
      { goto: 'https://example.test/{{path}}' },
      {
        if: { urlContains: '{{path}}', waitMs: 100 },
        then: [
          {
            paginate: { next: 'a.next', max: 3, until: { textContains: { text: 'end of {{path}}' } } },
            do: [
              {
                forEach: { selector: 'li.{{path}}', as: 'rows' },
                do: [
                  { extract: { name: 'n', selector: '.name' } },
                  { type: { selector: 'input', text: '{{path}}!' } },
                ],
              },
            ],
          },
        ],
        else: [
          {
            tab: { click: 'a#{{path}}' },
            do: [{ frame: 'iframe', do: [{ goto: 'https://example.test/x/{{path}}' }] }],
          },
        ],
      },
    ];
    const res = await submit(ACME_KEY, batchBody(2, { steps }));
    expect(res.statusCode).toBe(202);
    const { id } = json<BatchView>(res);
    const job = await t.queue.getJob(`${id}.1`);
    expect(job?.data.steps).toEqual(JSON.parse(JSON.stringify(steps).replaceAll('{{path}}', 'p1')));
  });

  it('keeps a batch proxy out of job data and answers: the job says only "batchProxy"', async () => {
    const proxy = {
      type: 'http',
      host: '127.0.0.1',
      port: 3128,
      username: 'u',
      password: 'batch-proxy-secret',
    };
    const res = await submit(ACME_KEY, batchBody(2, { options: { proxy } }));
    expect(res.statusCode).toBe(202);
    expect(res.body).not.toContain('batch-proxy-secret');
    const { id } = json<BatchView>(res);
    const job = await t.queue.getJob(`${id}.0`);
    expect(job?.data.batchProxy).toBe(true);
    expect(JSON.stringify(job?.data)).not.toContain('batch-proxy-secret');
    expect(await new RedisBatchStore(t.redis, t.prefix).proxyOf(id)).toEqual(proxy);
    const view = await t.app.inject({ url: `/v1/batches/${id}`, headers: auth(ACME_KEY) });
    expect(view.body).not.toContain('batch-proxy-secret');
  });

  it('shows a batch to its owner and admin; another tenant gets 404', async () => {
    const { id } = json<BatchView>(await submit(ACME_KEY));
    expect((await t.app.inject({ url: `/v1/batches/${id}`, headers: auth(ACME_KEY) })).statusCode).toBe(200);
    expect((await t.app.inject({ url: `/v1/batches/${id}`, headers: auth(OPS_KEY) })).statusCode).toBe(200);
    const foreign = await t.app.inject({ url: `/v1/batches/${id}`, headers: auth(OTHER_KEY) });
    expect(foreign.statusCode).toBe(404);
    expect(json(foreign)).toEqual({
      error: { code: 'BATCH_NOT_FOUND', message: `batch "${id}" was not found`, details: [] },
    });
    for (const url of [`/v1/batches/${id}/items`]) {
      expect((await t.app.inject({ url, headers: auth(OTHER_KEY) })).statusCode).toBe(404);
    }
    const cancel = await t.app.inject({
      method: 'POST',
      url: `/v1/batches/${id}/cancel`,
      headers: auth(OTHER_KEY),
    });
    expect(cancel.statusCode).toBe(404);
  });

  it('lists batches newest first, paged; a user sees only its own', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(json<BatchView>(await submit(OTHER_KEY)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/batches?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = json<{ batches: BatchView[]; nextCursor: string | null }>(
        await t.app.inject({ url, headers: auth(OTHER_KEY) }),
      );
      expect(page.batches.length).toBeLessThanOrEqual(2);
      seen.push(...page.batches.map((b) => b.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const all = json<{ batches: BatchView[] }>(
      await t.app.inject({ url: '/v1/batches?limit=1000', headers: auth(OPS_KEY) }),
    );
    expect(all.batches.map((b) => b.owner)).toEqual(expect.arrayContaining(['acme', 'other']));
    const acme = json<{ batches: BatchView[] }>(
      await t.app.inject({ url: '/v1/batches?limit=1000', headers: auth(ACME_KEY) }),
    );
    expect(acme.batches.every((b) => b.owner === 'acme')).toBe(true);
  });

  it('lists items with their state, result and attempts, paged and filtered', async () => {
    const { id } = json<BatchView>(await submit(ACME_KEY, batchBody(5)));
    const results = new RedisResultStore(t.redis, t.prefix);
    const base = {
      data: { title: 'x' },
      artifacts: {},
      url: 'https://example.test/p1',
      title: 'T',
      attempts: 1,
      durationMs: 12,
      finishedAt: Date.now(),
    };
    await results.record({ batchId: id, index: 1 }, 0, { ...base, state: 'completed', profileId: 'p1' });
    await results.record({ batchId: id, index: 3 }, 0, {
      ...base,
      state: 'failed',
      profileId: null,
      error: { code: 'ASSERTION_FAILED', message: 'no', step: 1, path: 'steps[1].do[0]#2' },
    });
    expect(await results.claim({ batchId: id, index: 4 }, 7, Date.now() + 60_000)).toBe('claimed');

    const page1 = json<{ items: ItemView[]; nextCursor: string | null }>(
      await t.app.inject({ url: `/v1/batches/${id}/items?limit=3`, headers: auth(ACME_KEY) }),
    );
    expect(page1.items.map((i) => [i.index, i.state])).toEqual([
      [0, 'queued'],
      [1, 'completed'],
      [2, 'queued'],
    ]);
    expect(page1.items[1]).toMatchObject({
      result: { data: { title: 'x' } },
      profileId: 'p1',
      attempts: 1,
      durationMs: 12,
    });
    expect(page1.nextCursor).toBe('3');
    const page2 = json<{ items: ItemView[]; nextCursor: string | null }>(
      await t.app.inject({ url: `/v1/batches/${id}/items?limit=3&cursor=3`, headers: auth(ACME_KEY) }),
    );
    expect(page2.items.map((i) => [i.index, i.state])).toEqual([
      [3, 'failed'],
      [4, 'running'],
    ]);
    expect(page2.items[0]?.error).toEqual({
      code: 'ASSERTION_FAILED',
      message: 'no',
      step: 1,
      path: 'steps[1].do[0]#2',
    });
    expect(page2.nextCursor).toBeNull();
    const failed = json<{ items: ItemView[] }>(
      await t.app.inject({ url: `/v1/batches/${id}/items?state=failed`, headers: auth(ACME_KEY) }),
    );
    expect(failed.items.map((i) => i.index)).toEqual([3]);
  });

  it('cancels a queued batch: waiting jobs removed, items cancelled, batch.cancelled published once', async () => {
    const { id } = json<BatchView>(await submit(ACME_KEY, batchBody(4)));
    const events = new RedisEventStream(t.redis, t.prefix);
    const before = (await events.readAfter('-', 100_000)).length;
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/batches/${id}/cancel`,
      headers: auth(ACME_KEY),
    });
    expect(res.statusCode).toBe(200);
    expect(json(res)).toMatchObject({ id, status: 'cancelled', removed: 4 });
    expect(await t.queue.getJob(`${id}.0`)).toBeUndefined();
    const again = await t.app.inject({
      method: 'POST',
      url: `/v1/batches/${id}/cancel`,
      headers: auth(ACME_KEY),
    });
    expect(json(again)).toMatchObject({ status: 'cancelled', removed: 0 });
    const items = json<{ items: ItemView[] }>(
      await t.app.inject({ url: `/v1/batches/${id}/items`, headers: auth(ACME_KEY) }),
    );
    expect(items.items.map((i) => i.state)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled']);
    const published = (await events.readAfter('-', 100_000)).slice(before).filter((e) => e.batchId === id);
    expect(published.map((e) => e.type)).toEqual(['batch.cancelled']);
    const view = json<BatchView>(await t.app.inject({ url: `/v1/batches/${id}`, headers: auth(ACME_KEY) }));
    expect(view.status).toBe('cancelled');
    expect(view.finishedAt).toBeDefined();
  });

  it('refuses to cancel a finished batch with 409', async () => {
    const { id } = json<BatchView>(await submit(ACME_KEY, batchBody(1)));
    const results = new RedisResultStore(t.redis, t.prefix);
    await results.record({ batchId: id, index: 0 }, 0, {
      state: 'completed',
      data: {},
      artifacts: {},
      url: null,
      title: null,
      profileId: null,
      attempts: 1,
      durationMs: 1,
      finishedAt: Date.now(),
    });
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/batches/${id}/cancel`,
      headers: auth(ACME_KEY),
    });
    expect(res.statusCode).toBe(409);
    expect(json(res)).toMatchObject({ error: { code: 'BATCH_FINISHED' } });
  });

  describe('Idempotency-Key', () => {
    it('20 concurrent identical submits create one batch', async () => {
      const body = batchBody(50);
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => submit(ACME_KEY, body, { 'idempotency-key': 'order-42' })),
      );
      expect(answers.map((a) => a.statusCode)).toEqual(Array(20).fill(202));
      const ids = new Set(answers.map((a) => json<BatchView>(a).id));
      expect(ids.size).toBe(1);
      const [id] = [...ids];
      expect(answers.filter((a) => a.headers['idempotent-replayed'] === 'true')).toHaveLength(19);
      expect(await t.queue.getJobCountByTypes('waiting', 'prioritized')).toBeGreaterThanOrEqual(50);
      const list = json<{ batches: BatchView[] }>(
        await t.app.inject({ url: '/v1/batches?limit=1000', headers: auth(ACME_KEY) }),
      );
      expect(list.batches.filter((b) => b.total === 50).map((b) => b.id)).toEqual([id]);
    });

    it('the same key with another body is 409; the same key for another API key is independent', async () => {
      const first = await submit(ACME_KEY, batchBody(2), { 'idempotency-key': 'k-1' });
      expect(first.statusCode).toBe(202);
      const other = await submit(ACME_KEY, batchBody(3), { 'idempotency-key': 'k-1' });
      expect(other.statusCode).toBe(409);
      expect(json(other)).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REUSED' } });
      const tenant = await submit(OTHER_KEY, batchBody(2), { 'idempotency-key': 'k-1' });
      expect(tenant.statusCode).toBe(202);
      expect(json<BatchView>(tenant).id).not.toBe(json<BatchView>(first).id);
    });

    it('key order in the body does not matter; a body that fails validation leaves the key free', async () => {
      const body = batchBody(2);
      const a = await submit(ACME_KEY, body, { 'idempotency-key': 'k-2' });
      const reordered = { items: body.items, steps: body.steps, pool: body.pool, name: body.name };
      const b = await submit(ACME_KEY, reordered, { 'idempotency-key': 'k-2' });
      expect(json<BatchView>(b).id).toBe(json<BatchView>(a).id);
      const bad = await submit(
        ACME_KEY,
        { ...body, steps: [{ goto: '{{missing}}' }] },
        { 'idempotency-key': 'k-3' },
      );
      expect(bad.statusCode).toBe(400);
      const good = await submit(ACME_KEY, body, { 'idempotency-key': 'k-3' });
      expect(good.statusCode).toBe(202);
    });
  });
});

describe('batch ids', () => {
  it('are 16 base64url characters that never start with "-" or "_" (a command line would read an option)', () => {
    const ids = Array.from({ length: 5000 }, () => newBatchId());
    expect(ids.every((id) => /^[A-Za-z0-9][A-Za-z0-9_-]{15}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
