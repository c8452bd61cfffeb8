import type { ItemJob } from '@fleet/contracts';
import { ACME_KEY, auth, batchBody, json, OPS_KEY, useTestApi } from './test-app.js';

// Politeness per site (README "Sharing a fleet"): an admin's rules, and a batch's own perSite in
// every job (the workers enforce both: packages/redis site-limits.test.ts, tests/e2e sites).
describe('sites', () => {
  const t = useTestApi([{ id: 'p1', pool: 'default' }]);
  const call = (method: 'GET' | 'PUT' | 'DELETE', url: string, key = OPS_KEY, payload?: object) =>
    t.app.inject({ method, url, headers: auth(key), ...(payload ? { payload } : {}) });

  it('sets, lists and removes an admin rule per host; user keys may not', async () => {
    const set = await call('PUT', '/v1/admin/sites/shop.example.com', OPS_KEY, {
      maxConcurrent: 3,
      minDelayMs: 500,
    });
    expect(set.statusCode).toBe(200);
    expect(json(set)).toEqual({
      host: 'shop.example.com',
      rule: { maxConcurrent: 3, minDelayMs: 500 },
      running: 0,
      waiting: 0,
    });
    await call('PUT', '/v1/admin/sites/127.0.0.1:8080', OPS_KEY, { maxConcurrent: 1 });
    expect(json(await call('GET', '/v1/admin/sites'))).toEqual({
      sites: [
        { host: '127.0.0.1:8080', rule: { maxConcurrent: 1 }, running: 0, waiting: 0 },
        { host: 'shop.example.com', rule: { maxConcurrent: 3, minDelayMs: 500 }, running: 0, waiting: 0 },
      ],
    });
    // Setting again replaces the rule as a whole.
    await call('PUT', '/v1/admin/sites/shop.example.com', OPS_KEY, { minDelayMs: 100 });
    expect(json(await call('GET', '/v1/admin/sites')).sites).toContainEqual({
      host: 'shop.example.com',
      rule: { minDelayMs: 100 },
      running: 0,
      waiting: 0,
    });
    expect((await call('GET', '/v1/admin/sites', ACME_KEY)).statusCode).toBe(403);
    expect((await call('PUT', '/v1/admin/sites/a.test', ACME_KEY, { maxConcurrent: 1 })).statusCode).toBe(
      403,
    );
    expect(json(await call('DELETE', '/v1/admin/sites/shop.example.com'))).toEqual({
      host: 'shop.example.com',
      deleted: true,
    });
    const again = await call('DELETE', '/v1/admin/sites/shop.example.com');
    expect(again.statusCode).toBe(404);
    expect(json(again)).toMatchObject({ error: { code: 'SITE_RULE_NOT_FOUND' } });
  });

  it('says what to fix in a bad host or rule', async () => {
    const upper = await call('PUT', '/v1/admin/sites/Shop.Example.com', OPS_KEY, { maxConcurrent: 1 });
    expect(upper.statusCode).toBe(400);
    expect(json(upper)).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    expect(JSON.stringify(json(upper))).toMatch(/lower case/);
    for (const body of [{}, { maxConcurrent: 0 }, { minDelayMs: -1 }, { maxConcurrent: 2, extra: 1 }]) {
      const answer = await call('PUT', '/v1/admin/sites/a.test', OPS_KEY, body);
      expect([answer.statusCode, json(answer).error]).toEqual([
        400,
        expect.objectContaining({ code: 'VALIDATION_FAILED' }),
      ]);
    }
    const batch = await t.app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: auth(ACME_KEY),
      payload: batchBody(1, { options: { perSite: { maxConcurrent: 0 } } }),
    });
    expect(batch.statusCode).toBe(400);
    expect(json(batch)).toMatchObject({
      error: { details: [expect.objectContaining({ field: expect.stringContaining('perSite') })] },
    });
  });

  it("puts a batch's perSite in every job of it", async () => {
    const answer = await t.app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: auth(ACME_KEY),
      payload: batchBody(2, { options: { perSite: { maxConcurrent: 3, minDelayMs: 250 } } }),
    });
    expect(answer.statusCode).toBe(202);
    const { id } = json<{ id: string }>(answer);
    const job = await t.queue.getJob(`${id}.1`);
    expect(job).toBeDefined();
    expect((job!.data as ItemJob).perSite).toEqual({ maxConcurrent: 3, minDelayMs: 250 });
  });
});
