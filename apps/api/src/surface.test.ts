import type { BatchView } from '@fleet/contracts';
import { RedisServer, waitFor } from '@fleet/testing';
import { ACME_KEY, auth, batchBody, json, OPS_KEY, OTHER_KEY, startTestApi, useTestApi } from './test-app.js';

describe('API surface', () => {
  const t = useTestApi([{ id: 'p1', pool: 'default' }]);

  it('/health and /ready need no key', async () => {
    expect(json(await t.app.inject({ url: '/health' }))).toEqual({ status: 'ok' });
    expect(json(await t.app.inject({ url: '/ready' }))).toEqual({ status: 'ready' });
  });

  it('every other route needs a valid key: 401 with the error shape', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope-nope-nope-nope' }, { authorization: OPS_KEY }]) {
      const res = await t.app.inject({ url: '/v1/batches', headers });
      expect(res.statusCode).toBe(401);
      expect(json(res)).toMatchObject({ error: { code: 'UNAUTHORIZED', details: [] } });
    }
  });

  it('serves a screenshot only to the owner of its batch (and admin)', async () => {
    const { id } = json<BatchView>(
      await t.app.inject({
        method: 'POST',
        url: '/v1/batches',
        headers: auth(ACME_KEY),
        payload: batchBody(1),
      }),
    );
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const artifactId = await t.artifacts.put(png, { itemId: `${id}.0`, name: 'home', type: 'image/png' });
    const mine = await t.app.inject({ url: `/v1/artifacts/${artifactId}`, headers: auth(ACME_KEY) });
    expect(mine.statusCode).toBe(200);
    expect(mine.headers['content-type']).toBe('image/png');
    expect(mine.rawPayload.equals(png)).toBe(true);
    expect(
      (await t.app.inject({ url: `/v1/artifacts/${artifactId}`, headers: auth(OPS_KEY) })).statusCode,
    ).toBe(200);
    const theirs = await t.app.inject({ url: `/v1/artifacts/${artifactId}`, headers: auth(OTHER_KEY) });
    expect(theirs.statusCode).toBe(404);
    expect(json(theirs)).toMatchObject({ error: { code: 'ARTIFACT_NOT_FOUND' } });
    const unknown = await t.app.inject({ url: `/v1/artifacts/${'A'.repeat(22)}`, headers: auth(ACME_KEY) });
    expect(unknown.statusCode).toBe(404);
  });

  it('a revoked key is refused at once and again after restore it works; keys are listed without secrets', async () => {
    const list = await t.app.inject({ url: '/v1/keys', headers: auth(OPS_KEY) });
    expect(json(list)).toEqual({
      keys: [
        { name: 'ops', role: 'admin', revoked: false },
        { name: 'acme', role: 'user', revoked: false },
        { name: 'other', role: 'user', revoked: false },
      ],
    });
    expect(list.body).not.toContain(OPS_KEY);
    const revoke = await t.app.inject({
      method: 'POST',
      url: '/v1/keys/other/revoke',
      headers: auth(OPS_KEY),
    });
    expect(json(revoke)).toEqual({ name: 'other', revoked: true, changed: true });
    expect((await t.app.inject({ url: '/v1/batches', headers: auth(OTHER_KEY) })).statusCode).toBe(401);
    expect(
      (await t.app.inject({ method: 'POST', url: '/v1/keys/ops/revoke', headers: auth(OPS_KEY) })).statusCode,
    ).toBe(409);
    expect(
      (await t.app.inject({ method: 'POST', url: '/v1/keys/acme/revoke', headers: auth(ACME_KEY) }))
        .statusCode,
    ).toBe(403);
    await t.app.inject({ method: 'POST', url: '/v1/keys/other/restore', headers: auth(OPS_KEY) });
    expect((await t.app.inject({ url: '/v1/batches', headers: auth(OTHER_KEY) })).statusCode).toBe(200);
  });

  it('a key revoked through another API process is refused within the refresh period', async () => {
    const second = await startTestApi({ prefix: t.prefix });
    try {
      const acmeGets = async (status: number) =>
        (await t.app.inject({ url: '/v1/batches', headers: auth(ACME_KEY) })).statusCode === status;
      const within = { timeoutMs: 5000, intervalMs: 20 };
      await second.app.inject({ method: 'POST', url: '/v1/keys/acme/revoke', headers: auth(OPS_KEY) });
      await waitFor('acme to be refused (401) after its revocation', () => acmeGets(401), within);
      await second.app.inject({ method: 'POST', url: '/v1/keys/acme/restore', headers: auth(OPS_KEY) });
      await waitFor('acme to be served (200) after its restore', () => acmeGets(200), within);
    } finally {
      await second.app.close();
      second.redis.disconnect();
    }
  });

  it('answers over a listening socket as it does through inject', async () => {
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`${address}/v1/batches`, {
      method: 'POST',
      headers: { ...auth(ACME_KEY), 'content-type': 'application/json' },
      body: JSON.stringify(batchBody(2)),
    });
    expect(res.status).toBe(202);
    const view = (await res.json()) as BatchView;
    const read = await fetch(`${address}${view.links.self}`, { headers: auth(ACME_KEY) });
    expect(((await read.json()) as BatchView).total).toBe(2);
    const bad = await fetch(`${address}/v1/batches`, {
      method: 'POST',
      headers: { ...auth(ACME_KEY), 'content-type': 'application/json' },
      body: '{"steps": [',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('INVALID_JSON');
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After once a key exceeds its limit; other keys are unaffected', async () => {
    const t = await startTestApi({ rateLimitPerMinute: 5 });
    try {
      const codes: number[] = [];
      let limited: Awaited<ReturnType<typeof t.app.inject>> | undefined;
      for (let i = 0; i < 7; i++) {
        const res = await t.app.inject({ url: '/v1/batches', headers: auth(ACME_KEY) });
        codes.push(res.statusCode);
        if (res.statusCode === 429) limited = res;
      }
      expect(codes).toEqual([200, 200, 200, 200, 200, 429, 429]);
      expect(Number(limited!.headers['retry-after'])).toBeGreaterThan(0);
      expect(json(limited!)).toMatchObject({ error: { code: 'RATE_LIMITED', details: [] } });
      expect((await t.app.inject({ url: '/v1/batches', headers: auth(OTHER_KEY) })).statusCode).toBe(200);
      expect((await t.app.inject({ url: '/health' })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('Redis unreachable', () => {
  it('answers 503 REDIS_UNAVAILABLE quickly, /ready says so, and recovers when Redis is back', async () => {
    const server = await RedisServer.start();
    const t = await startTestApi({}, {}, { redisUrl: server.url });
    try {
      await t.profiles.register({ id: 'p1', pool: 'default' });
      await server.stop();
      for (const req of [
        { url: '/v1/batches' },
        { url: '/v1/batches', method: 'POST' as const, payload: batchBody(2) },
        { url: '/v1/profiles' },
      ]) {
        const started = Date.now();
        const res = await t.app.inject({ ...req, headers: auth(OPS_KEY) });
        const ms = Date.now() - started;
        expect([res.statusCode, json(res).error]).toEqual([
          503,
          expect.objectContaining({ code: 'REDIS_UNAVAILABLE' }),
        ]);
        expect(res.headers['retry-after']).toBe('1');
        expect(ms).toBeLessThan(5000); // generous bound: the point is "not a hang"
      }
      expect((await t.app.inject({ url: '/ready' })).statusCode).toBe(503);
      expect((await t.app.inject({ url: '/health' })).statusCode).toBe(200);
      await server.restart();
      await waitFor("the API's Redis connection to be ready again", () => t.redis.status === 'ready', {
        timeoutMs: 10_000,
      });
      expect((await t.app.inject({ url: '/ready' })).statusCode).toBe(200);
    } finally {
      await t.app.close();
      t.redis.disconnect();
      await server.close();
    }
  });
});
