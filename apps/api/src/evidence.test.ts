import type { BatchErrors, BatchView, ItemResult, ItemView } from '@fleet/contracts';
import { errorSignature } from '@fleet/core';
import { RedisEvidencePolicy, RedisResultStore } from '@fleet/redis';
import { ACME_KEY, auth, batchBody, json, OPS_KEY, OTHER_KEY, useTestApi } from './test-app.js';

/** Failure evidence through the API: one item's view, the batch's errors, typed artifacts. */
describe('evidence', () => {
  const t = useTestApi([{ id: 'p1', pool: 'default' }]);

  async function submit(items: number): Promise<string> {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: auth(ACME_KEY),
      payload: batchBody(items),
    });
    return json<BatchView>(res).id;
  }

  const base = {
    data: {},
    url: null,
    title: null,
    profileId: 'p1',
    attempts: 1,
    durationMs: 40,
    finishedAt: Date.now(),
  };

  it('GET /v1/batches/:id/items/:index: the failed step path, the evidence and links to it', async () => {
    const id = await submit(3);
    const put = (bytes: string, name: string, type: string) =>
      t.artifacts.put(Buffer.from(bytes), { itemId: `${id}.1`, name, type });
    const screenshot = await put('\x89PNG', 'failure', 'image/png');
    const html = await put(
      '<p>page</p><script>alert(1)</script>',
      'failure-html',
      'text/html; charset=utf-8',
    );
    const consoleId = await put('INFO hello\n', 'failure-console', 'text/plain; charset=utf-8');
    const evidence = { screenshot, html, console: consoleId, url: 'https://example.test/p1' };
    const result: ItemResult = {
      ...base,
      state: 'failed',
      artifacts: { failure: screenshot },
      error: {
        code: 'SELECTOR_NOT_FOUND',
        message: 'no element matched "#buy" within 5000 ms (step 2, click)',
        step: 2,
        path: 'steps[2].do[0]#4',
        evidence,
      },
    };
    await new RedisResultStore(t.redis, t.prefix).record({ batchId: id, index: 1 }, 0, result);

    const res = await t.app.inject({ url: `/v1/batches/${id}/items/1`, headers: auth(ACME_KEY) });
    expect(res.statusCode).toBe(200);
    const item = json<ItemView>(res);
    expect(item).toMatchObject({
      index: 1,
      id: `${id}.1`,
      state: 'failed',
      error: { code: 'SELECTOR_NOT_FOUND', step: 2, path: 'steps[2].do[0]#4', evidence },
      links: {
        self: `/v1/batches/${id}/items/1`,
        artifacts: { failure: `/v1/artifacts/${screenshot}` },
        evidence: {
          screenshot: `/v1/artifacts/${screenshot}`,
          html: `/v1/artifacts/${html}`,
          console: `/v1/artifacts/${consoleId}`,
        },
      },
    });
    // The listing shows the same.
    const page = json<{ items: ItemView[] }>(
      await t.app.inject({ url: `/v1/batches/${id}/items?state=failed`, headers: auth(ACME_KEY) }),
    );
    expect(page.items).toEqual([item]);

    // An item without a result yet, the admin sees it too; a link is followed to the bytes.
    expect(
      json<ItemView>(await t.app.inject({ url: `/v1/batches/${id}/items/0`, headers: auth(OPS_KEY) })),
    ).toEqual({
      index: 0,
      id: `${id}.0`,
      state: 'queued',
      attempts: 0,
      links: { self: `/v1/batches/${id}/items/0`, artifacts: {} },
    });
    const text = await t.app.inject({ url: item.links!.evidence!.console!, headers: auth(ACME_KEY) });
    expect(text.body).toBe('INFO hello\n');

    // Another tenant's batch, an index past the end, a malformed index.
    const theirs = await t.app.inject({ url: `/v1/batches/${id}/items/1`, headers: auth(OTHER_KEY) });
    expect(theirs.statusCode).toBe(404);
    expect(json(theirs)).toMatchObject({ error: { code: 'BATCH_NOT_FOUND' } });
    const past = await t.app.inject({ url: `/v1/batches/${id}/items/3`, headers: auth(ACME_KEY) });
    expect(past.statusCode).toBe(404);
    expect(json(past)).toMatchObject({ error: { code: 'ITEM_NOT_FOUND' } });
    for (const index of ['-1', 'x', '1.5', '1234567890']) {
      const bad = await t.app.inject({ url: `/v1/batches/${id}/items/${index}`, headers: auth(ACME_KEY) });
      expect(bad.statusCode).toBe(400);
      expect(json(bad)).toMatchObject({
        error: { code: 'VALIDATION_FAILED', details: [{ field: 'index' }] },
      });
    }
    const none = await t.app.inject({ url: '/v1/batches/nosuchbatch/items/0', headers: auth(ACME_KEY) });
    expect(json(none)).toMatchObject({ error: { code: 'BATCH_NOT_FOUND' } });
  });

  it('artifacts are served with their type; HTML only as a sandboxed attachment', async () => {
    const id = await submit(1);
    const put = (bytes: string, type: string, name = 'x') =>
      t.artifacts.put(Buffer.from(bytes), { itemId: `${id}.0`, name, type });
    const get = async (artifact: string) =>
      t.app.inject({ url: `/v1/artifacts/${artifact}`, headers: auth(ACME_KEY) });

    const page = await get(
      await put('<script>fetch("/v1/keys")</script>', 'text/html; charset=utf-8', 'failure-html'),
    );
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-disposition']).toBe('attachment; filename="failure-html.html"');
    expect(page.headers['content-security-policy']).toMatch(/^sandbox; default-src 'none'/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.body).toBe('<script>fetch("/v1/keys")</script>');

    const text = await get(await put('a line\n', 'text/plain; charset=utf-8', 'failure-console'));
    expect(text.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(text.headers['content-disposition']).toBe('inline; filename="failure-console.txt"');
    expect(text.headers['content-security-policy']).toMatch(/^sandbox/);

    const png = await get(await put('\x89PNG', 'image/png', 'home page'));
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.headers['content-disposition']).toBe('inline; filename="home_page.png"');

    for (const type of ['image/svg+xml', 'application/pdf', 'application/octet-stream']) {
      const other = await get(await put('<svg onload="alert(1)"/>', type));
      expect(other.headers['content-type']).toBe(type);
      expect(other.headers['content-disposition']).toMatch(/^attachment; /);
    }
    // Another tenant: the same 404 as an unknown id.
    const html = await put('<p>', 'text/html');
    const theirs = await t.app.inject({ url: `/v1/artifacts/${html}`, headers: auth(OTHER_KEY) });
    expect(theirs.statusCode).toBe(404);
    expect(json(theirs)).toMatchObject({ error: { code: 'ARTIFACT_NOT_FOUND' } });
  });

  it('DELETE /v1/batches/:id: a finished batch and its artifacts go at once; an unfinished one is refused', async () => {
    const id = await submit(1);
    const other = await submit(1);
    const put = (itemId: string) =>
      t.artifacts.put(Buffer.from('x'), { itemId, name: 'failure', type: 'image/png' });
    const mine = [await put(`${id}.0`), await put(`${id}.files`)];
    const kept = await put(`${other}.0`);
    const del = () => t.app.inject({ method: 'DELETE', url: `/v1/batches/${id}`, headers: auth(ACME_KEY) });

    const early = await del();
    expect(early.statusCode).toBe(409);
    expect(json(early)).toMatchObject({ error: { code: 'BATCH_NOT_FINISHED' } });
    await new RedisResultStore(t.redis, t.prefix).record({ batchId: id, index: 0 }, 0, {
      ...base,
      state: 'completed',
      artifacts: {},
    });
    const theirs = await t.app.inject({
      method: 'DELETE',
      url: `/v1/batches/${id}`,
      headers: auth(OTHER_KEY),
    });
    expect(theirs.statusCode).toBe(404);

    const done = await del();
    expect(done.statusCode).toBe(200);
    expect(json(done)).toEqual({ id, deleted: true, artifactsRemoved: 2 });
    for (const artifact of mine) expect(await t.artifacts.get(artifact)).toBeNull();
    expect(await t.artifacts.get(kept)).not.toBeNull();
    expect((await t.app.inject({ url: `/v1/batches/${id}`, headers: auth(ACME_KEY) })).statusCode).toBe(404);
    const listed = json<{ batches: BatchView[] }>(
      await t.app.inject({ url: '/v1/batches?limit=1000', headers: auth(ACME_KEY) }),
    );
    expect(listed.batches.map((b) => b.id)).not.toContain(id);
    expect(await t.redis.keys(`${t.prefix}:{batch:${id}}*`)).toEqual([]);
    expect((await del()).statusCode).toBe(404);
  });

  it('GET /v1/batches/:id/errors: kinds of failure with counts, evidence kept and sample items', async () => {
    const id = await submit(50);
    const policy = new RedisEvidencePolicy(t.redis, t.prefix, { perError: 3, retentionSec: 600 });
    const take = (index: number, code: string, path: string, message: string) =>
      policy.take(id, {
        signature: errorSignature(code, path, message),
        code,
        path,
        message,
        itemId: `${id}.${index}`,
      });
    const kept: boolean[] = [];
    for (let i = 0; i < 40; i++)
      kept.push(
        await take(i, 'SELECTOR_NOT_FOUND', 'steps[1]', `no element matched "#r${i}" within 5000 ms`),
      );
    for (let i = 40; i < 45; i++)
      kept.push(await take(i, 'ASSERTION_FAILED', 'steps[3]', `"a" does not contain "${i}"`));
    expect(kept.filter(Boolean)).toHaveLength(6);

    const res = await t.app.inject({ url: `/v1/batches/${id}/errors`, headers: auth(ACME_KEY) });
    expect(res.statusCode).toBe(200);
    const body = json<BatchErrors>(res);
    expect(body.batchId).toBe(id);
    expect(body.errors.map((e) => [e.code, e.path, e.count, e.withEvidence, e.items.length])).toEqual([
      ['SELECTOR_NOT_FOUND', 'steps[1]', 40, 3, 10],
      ['ASSERTION_FAILED', 'steps[3]', 5, 3, 5],
    ]);
    expect(body.errors[0]).toMatchObject({
      message: 'no element matched "#r0" within 5000 ms',
      items: expect.arrayContaining([`${id}.0`, `${id}.9`]),
    });
    expect(
      (await t.app.inject({ url: `/v1/batches/${id}/errors`, headers: auth(OTHER_KEY) })).statusCode,
    ).toBe(404);
    const fresh = await submit(1);
    expect(json(await t.app.inject({ url: `/v1/batches/${fresh}/errors`, headers: auth(ACME_KEY) }))).toEqual(
      {
        batchId: fresh,
        errors: [],
      },
    );
  });
});
