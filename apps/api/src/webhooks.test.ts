import { createServer } from 'node:http';
import { RedisEventStream } from '@fleet/redis';
import { listenOnLoopback, waitFor } from '@fleet/testing';
import type { RunningWebhooks } from '@fleet/webhooks';
import { startTestWebhooks } from '@fleet/webhooks/testing';
import {
  ACME_KEY,
  auth,
  batchBody,
  json,
  OPS_KEY,
  OTHER_KEY,
  startTestApi,
  type TestApi,
} from './test-app.js';

describe('webhooks in the API', () => {
  let t: TestApi;
  let receiver: { port: number; close(): Promise<void> };
  let webhooks: RunningWebhooks;
  const bodies: string[] = [];
  const url = (path: string) => `http://127.0.0.1:${receiver.port}${path}`;

  beforeAll(async () => {
    receiver = await listenOnLoopback(
      createServer((req, res) => {
        let body = '';
        req.on('data', (chunk) => (body += chunk));
        req.on('end', () => {
          bodies.push(body);
          res.end();
        });
      }),
    );
    t = await startTestApi({}, { webhookAllowedTargets: [`127.0.0.1:${receiver.port}`] });
    await t.profiles.register({ id: 'p1', pool: 'default' });
    webhooks = await startTestWebhooks(t.redis, t.prefix, {
      attempts: 2,
      allowedTargets: [`127.0.0.1:${receiver.port}`],
    });
  });
  afterAll(async () => {
    await webhooks.close();
    await t.close();
    await receiver.close();
  });

  const post = (path: string, key: string, payload: unknown) =>
    t.app.inject({ method: 'POST', url: path, headers: auth(key), payload: payload as object });

  it('lets only admins register webhooks, and shows a new key secret once', async () => {
    expect((await post('/v1/admin/webhooks', ACME_KEY, { key: 'acme', url: url('/a') })).statusCode).toBe(
      403,
    );
    const first = await post('/v1/admin/webhooks', OPS_KEY, {
      key: 'acme',
      url: url('/a'),
      events: ['item.failed'],
    });
    expect(first.statusCode).toBe(201);
    const made = json<{ webhook: { id: string; events: string[] }; secret?: string }>(first);
    expect(made.secret).toMatch(/^whsec_/);
    expect(made.webhook.events).toEqual(['item.failed']);
    const second = json<{ secret?: string }>(
      await post('/v1/admin/webhooks', OPS_KEY, { key: 'acme', url: url('/b') }),
    );
    expect(second.secret).toBeUndefined();
    const list = await t.app.inject({ method: 'GET', url: '/v1/admin/webhooks', headers: auth(OPS_KEY) });
    expect(json<{ webhooks: unknown[] }>(list).webhooks).toHaveLength(2);
    expect(list.body).not.toContain(made.secret!);
    const del = () =>
      t.app.inject({
        method: 'DELETE',
        url: `/v1/admin/webhooks/${made.webhook.id}`,
        headers: auth(OPS_KEY),
      });
    expect((await del()).statusCode).toBe(200);
    const again = await del();
    expect(again.statusCode).toBe(404);
    expect(json<{ error: { code: string } }>(again).error.code).toBe('WEBHOOK_NOT_FOUND');
  });

  it('refuses an unknown key and a private target with the guard code', async () => {
    const unknown = await post('/v1/admin/webhooks', OPS_KEY, { key: 'nobody', url: url('/a') });
    expect(json<{ error: { code: string } }>(unknown).error.code).toBe('KEY_NOT_FOUND');
    const blocked = await post('/v1/admin/webhooks', OPS_KEY, { key: 'acme', url: 'http://10.1.2.3/hook' });
    expect(blocked.statusCode).toBe(400);
    expect(json<{ error: { code: string; message: string } }>(blocked).error).toMatchObject({
      code: 'TARGET_BLOCKED',
      message: expect.stringContaining('WEBHOOK_ALLOWED_TARGETS'),
    });
  });

  it("checks a batch's webhook before writing anything", async () => {
    const privateHook = await post(
      '/v1/batches',
      ACME_KEY,
      batchBody(1, { webhook: { url: 'http://127.0.0.1:9/x' } }),
    );
    expect(privateHook.statusCode).toBe(400);
    expect(json<{ error: { code: string; details: unknown[] } }>(privateHook).error).toMatchObject({
      code: 'TARGET_BLOCKED',
      details: [{ field: 'webhook.url' }],
    });
    const badEvent = await post(
      '/v1/batches',
      ACME_KEY,
      batchBody(1, { webhook: { url: url('/x'), events: ['profile.released'] } }),
    );
    expect(json<{ error: { code: string } }>(badEvent).error.code).toBe('VALIDATION_FAILED');
    const noSecret = await post('/v1/batches', OTHER_KEY, batchBody(1, { webhook: { url: url('/x') } }));
    expect(noSecret.statusCode).toBe(409);
    expect(json<{ error: { code: string } }>(noSecret).error.code).toBe('WEBHOOK_SECRET_MISSING');
  });

  it("delivers a batch's event and lists the delivery to its owner only", async () => {
    const secret = json<{ secret: string }>(await post('/v1/admin/webhook-secrets/acme', OPS_KEY, {})).secret;
    expect(secret).toMatch(/^whsec_/);
    const res = await post(
      '/v1/batches',
      ACME_KEY,
      batchBody(1, { webhook: { url: url('/batch?sig=secret-token') } }),
    );
    expect(res.statusCode).toBe(202);
    const batchId = json<{ id: string }>(res).id;
    // What the last item's record publishes (the worker is not needed to show the webhook path).
    await new RedisEventStream(t.redis, t.prefix).publish(
      { type: 'batch.completed', batchId, at: Date.now(), data: { completed: 1, failed: 0 } },
      `batch.completed:${batchId}`,
    );
    const list = () =>
      t.app.inject({ method: 'GET', url: `/v1/batches/${batchId}/webhooks`, headers: auth(ACME_KEY) });
    const [delivery] = await waitFor('delivered', async () => {
      const d = json<{ deliveries: { state: string }[] }>(await list()).deliveries;
      return d[0]?.state === 'delivered' && d;
    });
    expect(delivery).toMatchObject({
      event: 'batch.completed',
      webhook: 'batch',
      attempts: 1,
      lastStatus: 200,
      url: url('/batch'),
    });
    expect(bodies.some((b) => b.includes(batchId))).toBe(true);
    const body = (await list()).body;
    expect(body).not.toContain(secret);
    expect(body).not.toContain('secret-token');
    const foreign = await t.app.inject({
      method: 'GET',
      url: `/v1/batches/${batchId}/webhooks`,
      headers: auth(OTHER_KEY),
    });
    expect(foreign.statusCode).toBe(404);
  });
});
