import { FatalError, type FleetError } from '@fleet/core';
import { AUTH_FAILED, MultiloginClient, type MultiloginClientOptions, md5Hex } from '../src/index.js';
import { captureLogger, fail, fakeJwt, ok, ScriptedServer } from './scripted-server.js';
import { failure } from './test-support.js';

// Sign-in, token reuse, refresh, re-authentication and secret hygiene, against a scripted real
// HTTP server standing in for the Multilogin cloud.

const PASSWORD = 'correct horse battery';
const TOKEN = 'token-aaaaaaaaaaaa';
const REFRESH = 'refresh-bbbbbbbbbbbb';
const SEARCH = 'POST /profile/search';
const SIGNIN = 'POST /user/signin';
const REFRESH_ROUTE = 'POST /user/refresh_token';

let server: ScriptedServer;

beforeAll(async () => {
  server = await ScriptedServer.start();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

function client(extra: Partial<MultiloginClientOptions> = {}): MultiloginClient {
  return new MultiloginClient({
    apiUrl: server.url,
    launcherUrl: server.url,
    email: 'ops@example.com',
    password: PASSWORD,
    retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 },
    ...extra,
  });
}

const bearer = (i: number, route = SEARCH) => server.calls(route)[i]?.headers.authorization;

test('signs in with the MD5 of the password, once, and reuses the token', async () => {
  server.script(SIGNIN, ok({ token: TOKEN, refresh_token: REFRESH }));
  server.script(SEARCH, ok({ profiles: [] }));
  const c = client();
  await c.searchProfiles();
  await c.listFolders().catch(() => undefined);
  await c.searchProfiles();
  expect(server.calls(SIGNIN)).toHaveLength(1);
  expect(server.calls(SIGNIN)[0]!.body).toEqual({ email: 'ops@example.com', password: md5Hex(PASSWORD) });
  expect(md5Hex(PASSWORD)).toMatch(/^[0-9a-f]{32}$/);
  expect(bearer(0)).toBe(`Bearer ${TOKEN}`);
  expect(bearer(1)).toBe(`Bearer ${TOKEN}`);
});

test('concurrent first calls share one sign-in (single flight)', async () => {
  server.script(SIGNIN, { ...ok({ token: TOKEN }), delayMs: 150 });
  server.script(SEARCH, ok({ profiles: [] }));
  const c = client();
  await Promise.all(Array.from({ length: 6 }, () => c.searchProfiles()));
  expect(server.calls(SIGNIN)).toHaveLength(1);
  expect(server.calls(SEARCH)).toHaveLength(6);
});

test('on 401 it signs in again once and repeats the call', async () => {
  server.script(SIGNIN, ok({ token: 'token-old-111111' }), ok({ token: 'token-new-222222' }));
  server.script(SEARCH, (req) =>
    req.headers.authorization === 'Bearer token-new-222222'
      ? ok({ profiles: [] })
      : fail(401, 'UNAUTHORIZED'),
  );
  await client().searchProfiles();
  expect(server.calls(SIGNIN)).toHaveLength(2);
  expect(server.calls(SEARCH).map((r) => r.headers.authorization)).toEqual([
    'Bearer token-old-111111',
    'Bearer token-new-222222',
  ]);
});

test('concurrent 401s share one fresh sign-in', async () => {
  server.script(SIGNIN, ok({ token: 'token-old-111111' }), {
    ...ok({ token: 'token-new-222222' }),
    delayMs: 100,
  });
  server.script(SEARCH, (req) =>
    req.headers.authorization === 'Bearer token-new-222222'
      ? ok({ profiles: [] })
      : fail(401, 'UNAUTHORIZED'),
  );
  const c = client();
  await c.searchProfiles();
  server.script(SEARCH, (req) =>
    req.headers.authorization === 'Bearer token-new-333333'
      ? ok({ profiles: [] })
      : fail(401, 'UNAUTHORIZED'),
  );
  server.script(SIGNIN, { ...ok({ token: 'token-new-333333' }), delayMs: 100 });
  await Promise.all(Array.from({ length: 5 }, () => c.searchProfiles()));
  expect(server.calls(SIGNIN)).toHaveLength(3);
});

test('401 again after the fresh sign-in: MULTILOGIN_AUTH_FAILED, a FatalError naming the settings', async () => {
  server.script(SIGNIN, ok({ token: TOKEN }));
  server.script(SEARCH, fail(401, 'UNAUTHORIZED'));
  const error = await failure(client().searchProfiles());
  expect(error).toBeInstanceOf(FatalError);
  expect(error.code).toBe(AUTH_FAILED);
  expect(error.message).toContain('MULTILOGIN_EMAIL/MULTILOGIN_PASSWORD or MULTILOGIN_AUTOMATION_TOKEN');
  expect(server.calls(SIGNIN)).toHaveLength(2);
  expect(server.calls(SEARCH)).toHaveLength(2);
});

test('a refused sign-in is MULTILOGIN_AUTH_FAILED, whatever code the provider uses', async () => {
  server.script(SIGNIN, fail(401, 'UNAUTHORIZED'));
  expect((await failure(client().searchProfiles())).code).toBe(AUTH_FAILED);
  server.script(SIGNIN, fail(400, 'INVALID_CREDENTIALS'));
  expect((await failure(client().searchProfiles())).code).toBe(AUTH_FAILED);
  expect(server.calls(SEARCH)).toHaveLength(0);
});

test('no credentials at all: MULTILOGIN_AUTH_FAILED before any call', async () => {
  const error = await failure(client({ email: undefined, password: undefined }).searchProfiles());
  expect(error.code).toBe(AUTH_FAILED);
  expect(server.requests).toHaveLength(0);
});

test('an automation token is used as is; refused, it falls back to email/password if given', async () => {
  server.script(SEARCH, (req) =>
    req.headers.authorization === `Bearer ${TOKEN}` ? ok({ profiles: [] }) : fail(401, 'UNAUTHORIZED'),
  );
  server.script(SIGNIN, ok({ token: TOKEN }));
  await client({ automationToken: TOKEN, email: undefined, password: undefined }).searchProfiles();
  expect(server.calls(SIGNIN)).toHaveLength(0);

  const revoked = 'automation-revoked-0000';
  const alone = await failure(
    client({ automationToken: revoked, email: undefined, password: undefined }).searchProfiles(),
  );
  expect(alone.code).toBe(AUTH_FAILED);
  expect(server.calls(SIGNIN)).toHaveLength(0);

  await client({ automationToken: revoked }).searchProfiles();
  expect(server.calls(SIGNIN)).toHaveLength(1);
});

test('refreshes the token before its JWT exp, with email, refresh token and workspace id', async () => {
  const exp = Math.floor(Date.now() / 1000) + 2;
  const first = fakeJwt({ exp, workspaceID: 'ws-1' });
  const second = fakeJwt({ exp: exp + 1800, workspaceID: 'ws-1' });
  server.script(SIGNIN, ok({ token: first, refresh_token: REFRESH }));
  server.script(REFRESH_ROUTE, ok({ token: second, refresh_token: 'refresh-cccccccccccc' }));
  server.script(SEARCH, ok({ profiles: [] }));
  const c = client();
  await c.searchProfiles();
  // 20% of the token's life before exp, the next call refreshes first.
  await new Promise((r) => setTimeout(r, Math.max(0, exp * 1000 - 120 - Date.now())));
  await c.searchProfiles();
  expect(server.calls(REFRESH_ROUTE)).toHaveLength(1);
  expect(server.calls(REFRESH_ROUTE)[0]!.body).toEqual({
    email: 'ops@example.com',
    refresh_token: REFRESH,
    workspace_id: 'ws-1',
  });
  expect(bearer(1)).toBe(`Bearer ${second}`);
  expect(server.calls(SIGNIN)).toHaveLength(1);
});

test('a refused refresh falls back to a fresh sign-in', async () => {
  const exp = Math.floor(Date.now() / 1000) + 2;
  server.script(SIGNIN, ok({ token: fakeJwt({ exp }), refresh_token: REFRESH }), ok({ token: TOKEN }));
  server.script(REFRESH_ROUTE, fail(401, 'UNAUTHORIZED'));
  server.script(SEARCH, ok({ profiles: [] }));
  const c = client({ workspaceId: 'ws-9' });
  await c.searchProfiles();
  await new Promise((r) => setTimeout(r, Math.max(0, exp * 1000 - 120 - Date.now())));
  await c.searchProfiles();
  expect(server.calls(REFRESH_ROUTE)[0]!.body).toMatchObject({ workspace_id: 'ws-9' });
  expect(server.calls(SIGNIN)).toHaveLength(2);
  expect(bearer(1)).toBe(`Bearer ${TOKEN}`);
});

test('no token or password reaches an error or the log, even when the provider echoes them', async () => {
  const { entries, logger } = captureLogger();
  const secrets = [PASSWORD, md5Hex(PASSWORD), TOKEN, REFRESH];
  server.script(SIGNIN, ok({ token: TOKEN, refresh_token: REFRESH }));
  server.script(
    SEARCH,
    fail(400, 'BAD_REQUEST', `token ${TOKEN} does not match password ${md5Hex(PASSWORD)}`),
    fail(401, 'UNAUTHORIZED', `expired: ${TOKEN}`),
  );
  const errors: FleetError[] = [];
  const c = client({ logger });
  errors.push(await failure(c.searchProfiles()));
  errors.push(await failure(c.searchProfiles()));
  errors.push(await failure(c.startProfile('f', 'p')));
  errors.push(await failure(client({ logger, launcherUrl: 'http://127.0.0.1:1' }).stopProfile('p')));
  expect(errors.map((e) => e.code)).toEqual([
    'BAD_REQUEST',
    AUTH_FAILED,
    'NOT_SCRIPTED',
    'PROVIDER_UNAVAILABLE',
  ]);
  expect(errors[0]!.message).toContain('[redacted]');
  expect(entries.length).toBeGreaterThan(5);
  const seen = [
    JSON.stringify(entries),
    ...errors.flatMap((e) => [
      e.message,
      e.stack ?? '',
      JSON.stringify(e),
      String(e.cause),
      JSON.stringify(e.cause),
    ]),
  ].join('\n');
  for (const secret of secrets) expect(seen).not.toContain(secret);
  // got's error (whose `options` holds the Authorization header) is not the cause.
  for (const e of errors) if (e.cause !== undefined) expect(e.cause).not.toHaveProperty('options');
});
