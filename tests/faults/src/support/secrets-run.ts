import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ITEMS_QUEUE } from '@fleet/queue';
import { Redis } from 'ioredis';
import {
  basicAuth,
  type Canary,
  jwtCanary,
  md5,
  proxyCanary,
  Scanner,
  secretKeyCanary,
  textCanary,
} from './secrets-canaries.js';
import type { ApiClient, Reply } from './secrets-client.js';
import { refusedWith } from './secrets-client.js';
import { scanRedis } from './secrets-redis.js';
import type { SecretStack } from './secrets-stack.js';

export const EMAIL = 'secrets@fleet.local';
const withMd5 = (v: string) => [{ encoding: 'md5', text: md5(v) }];

/** The secrets the run starts with (a session id and the launcher's signing key join later). */
export function makeCanaries() {
  return {
    adminKey: textCanary('admin API key', 'admin', { headerSafe: true }),
    userKey: textCanary('user API key', 'user', { headerSafe: true }),
    wrongKey: textCanary('wrong API key (sent, not configured)', 'wrong', { headerSafe: true }),
    mlx: textCanary('Multilogin password', 'mlx', { extra: withMd5 }),
    wrongMlx: textCanary('wrong Multilogin password', 'wrongmlx', { extra: withMd5 }),
    profileProxy: proxyCanary('profile proxy password', 'pproxy', 'profile-user'),
    batchProxy: proxyCanary('batch proxy password', 'bproxy', 'batch-user'),
    deadProxy: proxyCanary('dead batch proxy password', 'dproxy', 'dead-user'),
    secretKey: secretKeyCanary(),
    jwt: jwtCanary(),
  };
}
type Canaries = ReturnType<typeof makeCanaries>;

/** How the secrets run polls (its batches go through real Chromium and proxies). */
export const poll = (timeoutMs = 240_000) => ({ timeoutMs, intervalMs: 500 });

/** An item's steps: a page of the fixture site (tagged, to find it in a proxy's log), read, shot. */
export const itemSteps = (siteUrl: string, tag: string) => [
  { goto: `${siteUrl}/?batch=${tag}&n={{n}}` },
  { extract: { name: 'heading', selector: '#heading' } },
  { screenshot: { name: 'page' } },
];

export const proxyOf = (port: number, canary: Canary, username: string) => ({
  type: 'http' as const,
  host: '127.0.0.1',
  port,
  username,
  password: canary.value,
});

function expectStatus(reply: Reply, status: number): void {
  if (reply.status !== status) {
    throw new Error(
      `${reply.method} ${reply.path.split('?')[0]}: expected ${status}, got ${reply.status}: ${reply.body}`,
    );
  }
}

/**
 * Calls that go wrong while secrets are in them — the calls that tend to get headers and bodies
 * logged: wrong keys wherever a client might put one, a user key on an admin route and bodies the
 * API refuses (each holding a proxy password), Bull Board logins, a wrong notifier token, a wrong
 * launcher password. Returns the admin session cookie the last login gave.
 */
export async function runFailingCalls(
  api: ApiClient,
  stack: SecretStack,
  C: Canaries,
  email: string,
): Promise<{ sessionId: string; cookie: string }> {
  const wrong = C.wrongKey.value;
  const user = C.userKey.value;
  const proxy = (password: string) => ({ type: 'http', host: '127.0.0.1', port: 9, username: 'u', password });
  expectStatus(await api.send('GET', '/v1/batches', { key: wrong }), 401);
  expectStatus(await api.send('GET', '/v1/batches', { headers: { 'x-api-key': wrong } }), 401);
  expectStatus(
    await api.send('GET', '/v1/batches', { headers: { authorization: `Basic ${basicAuth('ops', wrong)}` } }),
    401,
  );
  expectStatus(
    await api.send('GET', '/v1/batches', { headers: { authorization: wrong, cookie: `key=${wrong}` } }),
    401,
  );
  expectStatus(await api.send('GET', `/v1/batches?api_key=${encodeURIComponent(wrong)}`), 401);
  expectStatus(await api.send('GET', `/v1/nowhere?token=${encodeURIComponent(wrong)}`, { key: user }), 404);
  // A user key on an admin route, and bodies the API refuses, each holding a proxy password.
  const profile = { id: 'nope', pool: 'default', proxy: proxy(C.profileProxy.value) };
  expectStatus(await api.send('POST', '/v1/profiles', { key: user, body: profile }), 403);
  const badProxy = { ...proxy(C.batchProxy.value), type: 'ftp' };
  const batch = { pool: 'default', steps: [{ goto: 'http://127.0.0.1:9/' }], items: [{}] };
  expectStatus(
    await api.send('POST', '/v1/batches', { key: user, body: { ...batch, options: { proxy: badProxy } } }),
    400,
  );
  const broken = `{"pool":"default","options":{"proxy":{"password":${JSON.stringify(C.batchProxy.value)},}}`;
  expectStatus(await api.send('POST', '/v1/batches', { key: user, raw: broken }), 400);
  const tooLong = { ...proxy(`${C.batchProxy.value}${'x'.repeat(300)}`) };
  expectStatus(
    await api.send('POST', '/v1/batches', { key: user, body: { ...batch, options: { proxy: tooLong } } }),
    400,
  );
  expectStatus(
    await api.send('PATCH', '/v1/profiles/nope', {
      key: C.adminKey.value,
      body: { proxy: proxy(C.profileProxy.value) },
    }),
    404,
  );

  // Bull Board: a wrong key at the login form, then the admin key.
  const form = (key: string) => ({
    raw: new URLSearchParams({ key }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: `http://127.0.0.1:${api.port}` },
  });
  expectStatus(await api.send('POST', '/admin/login', form(wrong)), 401);
  const login = await api.send('POST', '/admin/login', form(C.adminKey.value));
  expectStatus(login, 303);
  const setCookie = ([] as string[]).concat(login.headers['set-cookie'] ?? []);
  const cookie = setCookie.map((c) => c.split(';')[0]!).find((c) => c.startsWith('fleet_admin_session='))!;

  // The notifier: a wrong token, in the handshake, in headers and a query it has no use for.
  const refusal = await refusedWith(
    stack.ports.notifier,
    wrong,
    { authorization: `Bearer ${wrong}`, 'x-api-key': wrong },
    { token: wrong },
  );
  if (!refusal.includes('UNAUTHORIZED')) throw new Error(`notifier let a wrong key in: ${refusal}`);

  // The launcher: a sign-in with a wrong password (clients send its MD5, as to Multilogin).
  const signin = await fetch(`${stack.url('launcher')}/user/signin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: md5(C.wrongMlx.value) }),
  });
  if (signin.status < 400) throw new Error(`the launcher took a wrong password (${signin.status})`);
  await signin.text();
  return { sessionId: cookie.slice('fleet_admin_session='.length), cookie };
}

/** The items queue's jobs as Bull Board shows them to an operator (its JSON API, with the session). */
export async function boardJobs(api: ApiClient, cookie: string, batchIds: string[]): Promise<void> {
  let shown = '';
  for (const status of ['completed', 'failed', 'latest']) {
    const query = new URLSearchParams({ activeQueue: ITEMS_QUEUE, status, page: '1', jobsPerPage: '50' });
    const reply = await api.send('GET', `/admin/queues/api/queues?${query}`, { headers: { cookie } });
    expectStatus(reply, 200);
    shown += reply.body;
  }
  const missing = batchIds.filter((id) => !shown.includes(`"${id}.0"`));
  if (missing.length > 0) throw new Error(`Bull Board showed no job of batches ${missing.join(', ')}`);
}

const TYPES = ['string', 'hash', 'list', 'set', 'zset', 'stream', 'log'] as const;

/**
 * The scanner's self-check: every canary planted in a key of every Redis type (under `selfPrefix`)
 * and in a log file, each in a form that hides its raw text (JSON in JSON, Basic auth, URL and
 * form encoding, base64 of a longer value), then scanned with the code that scanned the run.
 * Returns each canary/place pair the scanner missed; the planted keys are deleted.
 */
export async function plantEverywhere(
  url: string,
  selfPrefix: string,
  canaries: Canary[],
  dir: string,
): Promise<{ missed: string[]; planted: number }> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  const key = (name: string) => `${selfPrefix}:${name}`;
  const lines: string[] = [];
  try {
    for (const [i, c] of canaries.entries()) {
      const v = c.value;
      await redis.set(
        key(`string:${i}`),
        JSON.stringify({ req: { headers: { authorization: `Bearer ${v}` } } }),
      );
      await redis.hset(
        key('hash'),
        `job${i}`,
        JSON.stringify({ data: JSON.stringify({ proxy: { password: v } }) }),
      );
      await redis.rpush(key('list'), `Proxy-Authorization: Basic ${basicAuth(`user${i}`, v)}`);
      await redis.sadd(key('set'), `/v1/batches?key=${encodeURIComponent(v)}`);
      await redis.zadd(key('zset'), i, new URLSearchParams({ key: v }).toString());
      await redis.xadd(key('stream'), '*', 'e', JSON.stringify({ data: { note: v } }));
      lines.push(
        JSON.stringify({
          level: 10,
          msg: 'cookie',
          value: Buffer.from(`${'s'.repeat(i)}=${v};`).toString('base64'),
        }),
      );
    }
    const logFile = join(dir, 'selfcheck.log');
    writeFileSync(logFile, `${lines.join('\n')}\n`);
    const scanner = new Scanner(canaries);
    await scanRedis(url, scanner, `${selfPrefix}:*`, 'selfcheck');
    scanner.scan('selfcheck log', readFileSync(logFile, 'utf8'));
    const missed: string[] = [];
    for (const c of canaries) {
      // A shape is looked for as written: not inside base64 (the list's and the log's forms).
      for (const type of TYPES.filter((t) => !c.pattern || (t !== 'list' && t !== 'log'))) {
        const place = type === 'log' ? 'selfcheck log' : ` ${type} ${selfPrefix}:`;
        if (!scanner.findings.some((f) => f.canary === c.name && f.place.includes(place)))
          missed.push(`${c.name} in ${type}`);
      }
    }
    return { missed, planted: canaries.length * TYPES.length };
  } finally {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${selfPrefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  }
}
