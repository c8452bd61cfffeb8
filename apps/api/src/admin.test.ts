import { createHash } from 'node:crypto';
import { ITEMS_QUEUE } from '@fleet/queue';
import { Keys, RedisKeyRevocations } from '@fleet/redis';
import { sleep } from '@fleet/testing';
import type { LightMyRequestResponse } from 'fastify';
import { SESSION_COOKIE, sessionCookieOptions } from './admin/bull-board-plugin.js';
import { ACME_KEY, auth, json, OPS_KEY, startTestApi, type TestApi } from './test-app.js';

/** What a browser on this server's own pages sends (inject's Host is localhost:80). */
const SAME_ORIGIN = { origin: 'http://localhost' };
const FOREIGN_ORIGIN = { origin: 'http://evil.example' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const PAUSE = `/admin/queues/api/queues/${encodeURIComponent(ITEMS_QUEUE)}/pause`;
const RESUME = `/admin/queues/api/queues/${encodeURIComponent(ITEMS_QUEUE)}/resume`;

function setCookie(res: LightMyRequestResponse): string | undefined {
  const header = res.headers['set-cookie'];
  return Array.isArray(header) ? header.find((c) => c.startsWith(`${SESSION_COOKIE}=`)) : header;
}

describe('Bull Board at /admin/queues', () => {
  let t: TestApi;
  let keys: Keys;

  beforeAll(async () => {
    // A rate limit on, so the board is tested behind the same hooks as production.
    t = await startTestApi({ rateLimitPerMinute: 100_000 });
    keys = new Keys(t.prefix);
  });
  afterAll(() => t.close());

  async function login(key: string, headers: Record<string, string> = SAME_ORIGIN) {
    return t.app.inject({
      method: 'POST',
      url: '/admin/login',
      headers: { ...FORM, ...headers },
      payload: new URLSearchParams({ key }).toString(),
    });
  }

  /** Logs in with the admin key; the cookie header to send back. */
  async function session(): Promise<{ cookie: string; id: string }> {
    const res = await login(OPS_KEY);
    expect(res.statusCode).toBe(303);
    const cookie = res.cookies.find((c) => c.name === SESSION_COOKIE);
    if (!cookie) throw new Error('no session cookie');
    return { cookie: `${SESSION_COOKIE}=${cookie.value}`, id: cookie.value };
  }

  it('answers 401 without a key, 200 HTML with an admin key, 403 with a user key', async () => {
    const none = await t.app.inject({ url: '/admin/queues' });
    expect(none.statusCode).toBe(401);
    expect(json(none)).toMatchObject({ error: { code: 'UNAUTHORIZED', details: [] } });

    const admin = await t.app.inject({ url: '/admin/queues', headers: auth(OPS_KEY) });
    expect(admin.statusCode).toBe(200);
    expect(admin.headers['content-type']).toMatch(/^text\/html/);
    expect(admin.body).toContain('<div id="root">');

    const user = await t.app.inject({ url: '/admin/queues', headers: auth(ACME_KEY) });
    expect(user.statusCode).toBe(403);
    expect(json(user)).toMatchObject({ error: { code: 'FORBIDDEN' } });

    const wrong = await t.app.inject({
      url: '/admin/queues',
      headers: { ...HTML, ...auth('not-a-key-0123456789') },
    });
    expect(wrong.statusCode).toBe(401);
  });

  it('sends a browser without a key or session to the login page', async () => {
    const res = await t.app.inject({ url: '/admin/queues', headers: HTML });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/login');
    // A request that does not ask for HTML (the board's fetches, scripts) gets 401.
    const api = await t.app.inject({
      url: '/admin/queues/api/queues',
      headers: { accept: 'application/json' },
    });
    expect(api.statusCode).toBe(401);
    // A state change is never redirected.
    expect((await t.app.inject({ method: 'PUT', url: PAUSE, headers: HTML })).statusCode).toBe(401);
  });

  it("the board's API lists the items queue and its static files are served, to admin keys", async () => {
    const res = await t.app.inject({ url: '/admin/queues/api/queues', headers: auth(OPS_KEY) });
    expect(res.statusCode).toBe(200);
    const names = json<{ queues: { name: string }[] }>(res).queues.map((q) => q.name);
    expect(names).toEqual([ITEMS_QUEUE]);
    expect(
      (await t.app.inject({ url: '/admin/queues/api/queues', headers: auth(ACME_KEY) })).statusCode,
    ).toBe(403);
    const favicon = '/admin/queues/static/favicon-32x32.png';
    expect((await t.app.inject({ url: favicon, headers: auth(OPS_KEY) })).statusCode).toBe(200);
    expect((await t.app.inject({ url: favicon })).statusCode).toBe(401);
  });

  it('serves a self-contained login form', async () => {
    const res = await t.app.inject({ url: '/admin/login' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.body).toContain('<form method="post" action="/admin/login">');
    expect(res.body).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('a wrong key gets the form again with an error, and no cookie', async () => {
    for (const key of ['not-a-key-0123456789', '']) {
      const res = await login(key);
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain('role="alert"');
      expect(res.body).toContain('<form');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });

  it('a user key is refused', async () => {
    const res = await login(ACME_KEY);
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('not an admin key');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('login checks the Origin (login CSRF)', async () => {
    const foreign: Record<string, string>[] = [
      FOREIGN_ORIGIN,
      {},
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of foreign) {
      const res = await login(OPS_KEY, headers);
      expect(res.statusCode).toBe(403);
      expect(json(res)).toMatchObject({ error: { code: 'CSRF_REJECTED' } });
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect((await login(OPS_KEY, { 'sec-fetch-site': 'same-origin' })).statusCode).toBe(303);
    expect((await login(OPS_KEY, { origin: 'http://localhost:80' })).statusCode).toBe(303);
  });

  it('an admin key sets an HttpOnly, SameSite=Strict session cookie that opens the board and holds no key', async () => {
    const res = await login(OPS_KEY);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/queues');
    const header = setCookie(res);
    expect(header).toMatch(/; HttpOnly/i);
    expect(header).toMatch(/; SameSite=Strict/i);
    expect(header).toMatch(/; Path=\/admin(;|$)/);
    expect(header).not.toMatch(/; Secure/i); // the request came over http
    const id = res.cookies.find((c) => c.name === SESSION_COOKIE)?.value ?? '';
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(id).not.toContain(OPS_KEY);

    // Redis holds the id's hash → the key's name, with a TTL; never the id or the key.
    const stored = keys.adminSession(createHash('sha256').update(id).digest('hex'));
    expect(await t.redis.get(stored)).toBe('ops');
    expect(await t.redis.ttl(stored)).toBeGreaterThan(0);
    const [, found] = await t.redis.scan('0', 'MATCH', `${t.prefix}:admin-session:*`, 'COUNT', 1000);
    for (const k of found) {
      expect(k).not.toContain(id);
      expect(await t.redis.get(k)).not.toContain(OPS_KEY);
    }

    const cookie = `${SESSION_COOKIE}=${id}`;
    const board = await t.app.inject({ url: '/admin/queues', headers: { ...HTML, cookie } });
    expect(board.statusCode).toBe(200);
    expect(board.body).toContain('<div id="root">');
    expect((await t.app.inject({ url: '/admin/queues/api/queues', headers: { cookie } })).statusCode).toBe(
      200,
    );
  });

  it('the cookie is Secure when the request came over https', () => {
    // inject speaks plain http, so the https case is checked on the options themselves.
    expect(sessionCookieOptions({ protocol: 'https' })).toMatchObject({ secure: true, httpOnly: true });
    expect(sessionCookieOptions({ protocol: 'http' })).toMatchObject({ secure: false, sameSite: 'strict' });
  });

  it('the session cookie opens only the board, not the JSON API', async () => {
    const { cookie } = await session();
    const res = await t.app.inject({ url: '/v1/batches', headers: { cookie } });
    expect(res.statusCode).toBe(401);
  });

  it('refuses cookie-authenticated state changes from another origin (CSRF), allows same-origin ones', async () => {
    const { cookie } = await session();
    for (const headers of [
      FOREIGN_ORIGIN,
      {},
      { 'sec-fetch-site': 'same-site' },
      { origin: 'http://localhost:8080' },
    ]) {
      const res = await t.app.inject({ method: 'PUT', url: PAUSE, headers: { cookie, ...headers } });
      expect(res.statusCode).toBe(403);
      expect(json(res)).toMatchObject({ error: { code: 'CSRF_REJECTED' } });
    }
    expect(await t.queue.isPaused()).toBe(false);

    const paused = await t.app.inject({ method: 'PUT', url: PAUSE, headers: { cookie, ...SAME_ORIGIN } });
    expect(paused.statusCode).toBeLessThan(300);
    expect(await t.queue.isPaused()).toBe(true);
    const resumed = await t.app.inject({
      method: 'PUT',
      url: RESUME,
      headers: { cookie, 'sec-fetch-site': 'same-origin' },
    });
    expect(resumed.statusCode).toBeLessThan(300);
    expect(await t.queue.isPaused()).toBe(false);
  });

  it('a Bearer key is not subject to the origin check (no ambient credential)', async () => {
    const res = await t.app.inject({
      method: 'PUT',
      url: PAUSE,
      headers: { ...auth(OPS_KEY), ...FOREIGN_ORIGIN },
    });
    expect(res.statusCode).toBeLessThan(300);
    expect(await t.queue.isPaused()).toBe(true);
    await t.app.inject({ method: 'PUT', url: RESUME, headers: auth(OPS_KEY) });
    expect(await t.queue.isPaused()).toBe(false);
  });

  it('form bodies are taken only by the login form: the JSON API and the board still answer 415', async () => {
    const api = await t.app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: { ...FORM, ...auth(ACME_KEY) },
      payload: 'name=x',
    });
    expect(api.statusCode).toBe(415);
    expect(json(api)).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    const board = await t.app.inject({
      method: 'PUT',
      url: PAUSE,
      headers: { ...FORM, ...auth(OPS_KEY) },
      payload: 'a=b',
    });
    expect(board.statusCode).toBe(415);
    expect(await t.queue.isPaused()).toBe(false);
  });

  it('logout ends the session', async () => {
    const { cookie, id } = await session();
    expect((await t.app.inject({ url: '/admin/logout' })).body).toContain('action="/admin/logout"');
    const foreign = await t.app.inject({
      method: 'POST',
      url: '/admin/logout',
      headers: { cookie, ...FOREIGN_ORIGIN },
    });
    expect(foreign.statusCode).toBe(403);
    expect((await t.app.inject({ url: '/admin/queues/api/queues', headers: { cookie } })).statusCode).toBe(
      200,
    );

    const res = await t.app.inject({
      method: 'POST',
      url: '/admin/logout',
      headers: { cookie, ...SAME_ORIGIN },
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/login');
    expect(setCookie(res)).toMatch(new RegExp(`^${SESSION_COOKIE}=;.*Max-Age=0`, 'i'));
    expect(await t.redis.exists(keys.adminSession(createHash('sha256').update(id).digest('hex')))).toBe(0);
    expect((await t.app.inject({ url: '/admin/queues/api/queues', headers: { cookie } })).statusCode).toBe(
      401,
    );
    const page = await t.app.inject({ url: '/admin/queues', headers: { cookie, ...HTML } });
    expect(page.headers.location).toBe('/admin/login');
  });

  it("a revoked key's session stops working, and the key cannot log in", async () => {
    const { cookie } = await session();
    const revocations = new RedisKeyRevocations(t.redis, t.prefix);
    await revocations.revoke('ops');
    try {
      // The server re-reads revocations every revocationRefreshMs (100 ms in startTestApi).
      let status = 0;
      for (let i = 0; i < 300 && status !== 401; i++) {
        status = (await t.app.inject({ url: '/admin/queues/api/queues', headers: { cookie } })).statusCode;
        if (status !== 401) await sleep(50);
      }
      expect(status).toBe(401);
      const again = await login(OPS_KEY);
      expect(again.statusCode).toBe(401);
      expect(again.headers['set-cookie']).toBeUndefined();
    } finally {
      await revocations.restore('ops');
    }
  });
});
