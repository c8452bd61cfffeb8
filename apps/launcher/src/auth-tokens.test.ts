import { sleep } from '@fleet/testing';
import type { RunningLauncher } from './launcher.js';
import { EMAIL, launch, md5, PASSWORD, TestClient, tempDataDir } from './test-support.js';

// Sign-in, refresh, automation tokens and token checks, over real HTTP.

let data: ReturnType<typeof tempDataDir>;
let launcher: RunningLauncher;
let client: TestClient;

beforeAll(async () => {
  data = tempDataDir();
  launcher = await launch(data.dir, { tokenTtlMs: 60_000 });
  client = new TestClient(launcher.url);
  await client.signIn();
});

afterAll(async () => {
  await launcher?.close();
  data?.cleanup();
});

describe('sign-in and tokens', () => {
  it('signs in with the MD5 of the password and refuses a wrong one', async () => {
    const ok = await client.call<{ token: string; refresh_token: string }>(
      'POST',
      '/user/signin',
      { email: EMAIL.toUpperCase(), password: md5(PASSWORD) },
      { token: null },
    );
    expect(ok.http).toBe(200);
    expect(ok.body.status).toEqual({ error_code: '', http_code: 200, message: expect.any(String) });
    expect(ok.body.data.token.split('.')).toHaveLength(3);
    expect(ok.body.data.refresh_token).toEqual(expect.any(String));

    for (const password of [md5('wrong'), PASSWORD]) {
      const bad = await client.call('POST', '/user/signin', { email: EMAIL, password }, { token: null });
      expect(bad.http).toBe(401);
      expect(bad.body).toEqual({
        status: { error_code: 'INVALID_CREDENTIALS', http_code: 401, message: expect.any(String) },
        data: null,
      });
    }
    const otherEmail = await client.call('POST', '/user/signin', { email: 'x@y.z', password: md5(PASSWORD) });
    expect(otherEmail.body.status.error_code).toBe('INVALID_CREDENTIALS');
  });

  it('answers 401 UNAUTHORIZED without a token, with a forged one, and with a refresh token', async () => {
    const missing = await client.call('GET', '/workspace/folders', undefined, { token: null });
    expect(missing.http).toBe(401);
    expect(missing.body.status.error_code).toBe('UNAUTHORIZED');

    const [head, body] = (client.token as string).split('.');
    const forged = `${head}.${body}.${Buffer.from('not the signature').toString('base64url')}`;
    for (const token of ['garbage', forged]) {
      const answer = await client.call('GET', '/workspace/folders', undefined, { token });
      expect(answer.http).toBe(401);
      expect(answer.body).toEqual({
        status: { error_code: 'UNAUTHORIZED', http_code: 401, message: expect.any(String) },
        data: null,
      });
    }
    const pair = await client.call<{ refresh_token: string }>('POST', '/user/signin', {
      email: EMAIL,
      password: md5(PASSWORD),
    });
    const asBearer = await client.call('GET', '/workspace/folders', undefined, {
      token: pair.body.data.refresh_token,
    });
    expect(asBearer.http).toBe(401);
  });

  it('expires tokens after tokenTtlMs; refresh gives a working one', async () => {
    const dir = tempDataDir();
    const shortLived = await launch(dir.dir, { tokenTtlMs: 300 });
    try {
      const c = new TestClient(shortLived.url);
      const token = await c.signIn();
      expect((await c.call('GET', '/workspace/folders')).http).toBe(200);
      const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());
      expect(claims.exp).toBeLessThanOrEqual(Math.ceil((Date.now() + 300) / 1000));
      await sleep(400);
      const expired = await c.call('GET', '/workspace/folders');
      expect(expired.http).toBe(401);
      expect(expired.body.status.error_code).toBe('UNAUTHORIZED');
      expect(expired.body.status.message).toMatch(/expired/);

      const signIn = await c.call<{ refresh_token: string }>('POST', '/user/signin', {
        email: EMAIL,
        password: md5(PASSWORD),
      });
      const refreshed = await c.call<{ token: string; refresh_token: string }>(
        'POST',
        '/user/refresh_token',
        {
          email: EMAIL,
          refresh_token: signIn.body.data.refresh_token,
          workspace_id: 'whatever',
        },
      );
      expect(refreshed.http).toBe(200);
      const again = await c.call('GET', '/workspace/folders', undefined, {
        token: refreshed.body.data.token,
      });
      expect(again.http).toBe(200);

      const badRefresh = await c.call('POST', '/user/refresh_token', { email: EMAIL, refresh_token: 'nope' });
      expect(badRefresh.http).toBe(401);
      expect(badRefresh.body.status.error_code).toBe('UNAUTHORIZED');
    } finally {
      await shortLived.close();
      dir.cleanup();
    }
  });

  it('issues long-lived automation tokens and checks expiration_period', async () => {
    const answer = await client.call<{ token: string; expires_at: number | null }>(
      'GET',
      '/workspace/automation_token?expiration_period=no_exp',
    );
    expect(answer.http).toBe(200);
    expect(answer.body.data.expires_at).toBeNull();
    const used = await client.call('GET', '/workspace/folders', undefined, { token: answer.body.data.token });
    expect(used.http).toBe(200);

    const bad = await client.call('GET', '/workspace/automation_token?expiration_period=forever');
    expect(bad.http).toBe(400);
    expect(bad.body.status.error_code).toBe('BAD_REQUEST');
    expect(bad.body.status.message).toMatch(/expiration_period/);
  });
});
