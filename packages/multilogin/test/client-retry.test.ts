import { NonRetryableError, ProfileFaultError, RetryableError } from '@fleet/core';
import { MultiloginClient, type MultiloginClientOptions } from '../src/index.js';
import { fail, ok, ScriptedServer } from './scripted-server.js';
import { failure } from './test-support.js';

// Retries, waits, timeouts and error codes against a scripted real HTTP server standing in for the
// Multilogin cloud. Timing asserts are lower bounds only (the machine may be slow, never fast).

let server: ScriptedServer;

beforeAll(async () => {
  server = await ScriptedServer.start();
});
afterAll(() => server.close());
beforeEach(() => {
  server.reset();
  server.script('POST /user/signin', ok({ token: 'token-1234567890', refresh_token: 'refresh-1234567890' }));
});

function client(extra: Partial<MultiloginClientOptions> = {}): MultiloginClient {
  return new MultiloginClient({
    apiUrl: server.url,
    launcherUrl: server.url,
    email: 'ops@example.com',
    password: 'correct horse battery',
    retry: {
      attempts: 4,
      baseDelayMs: 20,
      maxDelayMs: 3000,
      coreDownloadPauseMs: 200,
      coreDownloadMaxMs: 2000,
    },
    ...extra,
  });
}

const SEARCH = 'POST /profile/search';
const START = 'GET /api/v2/profile/f/folder-1/p/profile-1/start';

test('429 with Retry-After in seconds: the retry waits at least that long', async () => {
  server.script(
    SEARCH,
    { ...fail(429, 'TOO_MANY_REQUESTS'), headers: { 'retry-after': '1' } },
    ok({ profiles: [] }),
  );
  await client().searchProfiles();
  const [first, second] = server.calls(SEARCH);
  expect(server.calls(SEARCH)).toHaveLength(2);
  expect(second!.at - first!.at).toBeGreaterThanOrEqual(1000);
});

test('429 with Retry-After as an HTTP date: the retry comes no earlier than that date', async () => {
  const at = new Date(Math.ceil((Date.now() + 1500) / 1000) * 1000);
  server.script(
    SEARCH,
    { ...fail(429, ''), headers: { 'retry-after': at.toUTCString() } },
    ok({ profiles: [] }),
  );
  await client().searchProfiles();
  expect(server.calls(SEARCH)).toHaveLength(2);
  expect(server.calls(SEARCH)[1]!.at).toBeGreaterThanOrEqual(at.getTime());
});

test('429 with a Retry-After beyond maxDelayMs goes to the caller with retryAfterMs, unrepeated', async () => {
  server.script(SEARCH, { ...fail(429, 'TOO_MANY_REQUESTS'), headers: { 'retry-after': '60' } });
  const error = await failure(client().searchProfiles());
  expect(error).toBeInstanceOf(RetryableError);
  expect(error.code).toBe('PROVIDER_RATE_LIMITED');
  expect((error as RetryableError).retryAfterMs).toBe(60_000);
  expect(error.details[0]).toMatchObject({ httpStatus: 429, providerCode: 'TOO_MANY_REQUESTS' });
  expect(server.calls(SEARCH)).toHaveLength(1);
});

test('5xx is retried with backoff until it passes', async () => {
  server.script(
    SEARCH,
    fail(502, ''),
    { status: 503, raw: '<html>busy</html>' },
    ok({ profiles: [{ id: 'p1' }] }),
  );
  const page = await client().searchProfiles();
  expect(page.profiles.map((p) => p.id)).toEqual(['p1']);
  expect(server.calls(SEARCH)).toHaveLength(3);
});

test('5xx on every attempt: PROVIDER_SERVER_ERROR after `attempts` tries', async () => {
  server.script(SEARCH, fail(500, 'INTERNAL_ERROR'));
  const error = await failure(
    client({ retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 100 } }).searchProfiles(),
  );
  expect(error).toBeInstanceOf(RetryableError);
  expect(error.code).toBe('PROVIDER_SERVER_ERROR');
  expect(server.calls(SEARCH)).toHaveLength(3);
});

test('start is not repeated on a 5xx (a repeat could start a second browser)', async () => {
  server.script(START, fail(500, 'INTERNAL_ERROR'));
  const error = await failure(client().startProfile('folder-1', 'profile-1'));
  expect(error.code).toBe('PROVIDER_SERVER_ERROR');
  expect(server.calls(START)).toHaveLength(1);
});

test('start is repeated after a 429 (e.g. MAX_BROWSERS_REACHED): the launcher did not act', async () => {
  server.script(
    START,
    { ...fail(429, 'MAX_BROWSERS_REACHED'), headers: { 'retry-after': '1' } },
    ok({ id: 'profile-1', port: '55513' }),
  );
  expect((await client().startProfile('folder-1', 'profile-1')).port).toBe(55513);
  const [first, second] = server.calls(START);
  expect(second!.at - first!.at).toBeGreaterThanOrEqual(1000);
});

test('CORE_DOWNLOADING_* on start: waited out with a pause, then the start succeeds', async () => {
  server.script(
    START,
    fail(500, 'CORE_DOWNLOADING_STARTED'),
    fail(500, 'CORE_DOWNLOADING_ALREADY_STARTED'),
    ok({ id: 'profile-1', port: '55513' }),
  );
  const started = await client().startProfile('folder-1', 'profile-1', { headless: true });
  expect(started.port).toBe(55513);
  const calls = server.calls(START);
  expect(calls).toHaveLength(3);
  expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(200);
  expect(calls[2]!.at - calls[1]!.at).toBeGreaterThanOrEqual(200);
  expect(calls[0]!.query.get('automation_type')).toBe('selenium');
  expect(calls[0]!.query.get('headless_mode')).toBe('true');
});

test('CORE_DOWNLOADING_* for longer than coreDownloadMaxMs: PROVIDER_CORE_DOWNLOADING', async () => {
  server.script(START, fail(500, 'CORE_DOWNLOADING_STARTED'));
  const error = await failure(
    client({ retry: { coreDownloadPauseMs: 100, coreDownloadMaxMs: 350 } }).startProfile(
      'folder-1',
      'profile-1',
    ),
  );
  expect(error).toBeInstanceOf(RetryableError);
  expect(error.code).toBe('PROVIDER_CORE_DOWNLOADING');
  // It waited and asked again (how many times depends on the machine's speed), then gave up.
  expect(server.calls(START).length).toBeGreaterThanOrEqual(2);
  expect(server.calls(START).length).toBeLessThanOrEqual(5);
});

test('a slow answer is a PROVIDER_TIMEOUT, retried for a search', async () => {
  server.script(SEARCH, { ...ok({ profiles: [] }), delayMs: 1000 });
  const started = Date.now();
  const error = await failure(
    client({
      timeouts: { requestMs: 200 },
      retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 50 },
    }).searchProfiles(),
  );
  expect(error).toBeInstanceOf(RetryableError);
  expect(error.code).toBe('PROVIDER_TIMEOUT');
  expect(server.calls(SEARCH)).toHaveLength(2);
  expect(Date.now() - started).toBeGreaterThanOrEqual(400);
});

test('start has its own (long) timeout and is not repeated after it', async () => {
  server.script(START, { ...ok({ port: 1 }), delayMs: 1000 });
  const error = await failure(
    client({ timeouts: { requestMs: 5000, startMs: 200 } }).startProfile('folder-1', 'profile-1'),
  );
  expect(error.code).toBe('PROVIDER_TIMEOUT');
  expect(server.calls(START)).toHaveLength(1);
});

test('a dropped connection is PROVIDER_CONNECTION_LOST and retried', async () => {
  server.script(SEARCH, { drop: true }, ok({ profiles: [] }));
  await client().searchProfiles();
  expect(server.calls(SEARCH)).toHaveLength(2);
  server.script(SEARCH, { drop: true });
  const error = await failure(
    client({ retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 } }).searchProfiles(),
  );
  expect(error.code).toBe('PROVIDER_CONNECTION_LOST');
});

test('envelope error codes map to what the caller should do', async () => {
  const c = client();
  server.script(START, fail(400, 'GET_PROXY_CONNECTION_IP_ERROR', 'proxy check failed'));
  let error = await failure(c.startProfile('folder-1', 'profile-1'));
  expect(error).toBeInstanceOf(ProfileFaultError);
  expect(error.code).toBe('PROFILE_PROXY_FAILED');
  expect(error.details[0]).toMatchObject({ providerCode: 'GET_PROXY_CONNECTION_IP_ERROR', httpStatus: 400 });

  server.script(START, fail(500, 'LOCK_PROFILE_ERROR'));
  error = await failure(c.startProfile('folder-1', 'profile-1'));
  expect(error).toBeInstanceOf(ProfileFaultError);
  expect(error.code).toBe('PROFILE_LOCKED');

  server.script(START, fail(400, 'PROFILE_ALREADY_RUNNING'));
  error = await failure(c.startProfile('folder-1', 'profile-1'));
  expect(error).toBeInstanceOf(RetryableError);
  expect(error.code).toBe('PROFILE_ALREADY_RUNNING');

  server.script(SEARCH, fail(422, 'INVALID_LIMIT', 'limit must be 1..100'));
  error = await failure(c.searchProfiles());
  expect(error).toBeInstanceOf(NonRetryableError);
  expect(error.code).toBe('INVALID_LIMIT');
  expect(error.message).toContain('limit must be 1..100');
  expect(server.calls(SEARCH)).toHaveLength(1);

  server.script(SEARCH, { status: 200, raw: '<html>captive portal</html>' });
  error = await failure(c.searchProfiles());
  expect(error).toBeInstanceOf(NonRetryableError);
  expect(error.code).toBe('PROVIDER_BAD_ANSWER');
});

test('a start answer without a usable port is PROVIDER_BAD_ANSWER; a numeric port is accepted', async () => {
  server.script(START, ok({ id: 'profile-1', port: 'none' }));
  expect((await failure(client().startProfile('folder-1', 'profile-1'))).code).toBe('PROVIDER_BAD_ANSWER');
  server.script(START, ok({ id: 'profile-1', port: 40001 }));
  expect((await client().startProfile('folder-1', 'profile-1', { headless: false })).port).toBe(40001);
  expect(server.calls(START)[1]!.query.get('headless_mode')).toBe('false');
});

test('allProfiles pages through the search, 100 at a time', async () => {
  const all = Array.from({ length: 230 }, (_, i) => ({ id: `p${i}`, name: `n${i}`, folder_id: 'f' }));
  server.script(SEARCH, (req) => {
    const { limit, offset } = req.body as { limit: number; offset: number };
    return ok({ profiles: all.slice(offset, offset + limit), total_count: all.length });
  });
  const ids: string[] = [];
  for await (const p of client().allProfiles({ folderId: 'f' })) ids.push(p.id);
  expect(ids).toHaveLength(230);
  expect(server.calls(SEARCH).map((r) => (r.body as { offset: number }).offset)).toEqual([0, 100, 200]);
  expect(server.calls(SEARCH)[0]!.body).toMatchObject({ folder_id: 'f', is_removed: false, limit: 100 });
});
