import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { RunningLauncher } from './launcher.js';
import { EMAIL, launch, md5, PASSWORD, TestClient, tempDataDir } from './test-support.js';
import { LAUNCHER_VERSION } from './version.js';

// The cloud half over real HTTP, no browser: profiles, folders, errors, what is logged.

const logLines: string[] = [];
const logger = pino(
  { level: 'trace' },
  new Writable({
    write(chunk, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  }),
);

let data: ReturnType<typeof tempDataDir>;
let launcher: RunningLauncher;
let client: TestClient;

beforeAll(async () => {
  data = tempDataDir();
  launcher = await launch(data.dir, { tokenTtlMs: 60_000, logger });
  client = new TestClient(launcher.url);
  await client.signIn();
});

afterAll(async () => {
  await launcher?.close();
  data?.cleanup();
});

describe('profiles and folders', () => {
  it('lists a default folder', async () => {
    const answer = await client.call<{ folders: { folder_id: string; name: string }[] }>(
      'GET',
      '/workspace/folders',
    );
    expect(answer.body.data.folders).toEqual([
      { folder_id: expect.any(String), name: 'Default folder', created_at: expect.any(String) },
    ]);
  });

  it('creates, searches, updates the proxy of, and removes profiles', async () => {
    const tag = `t-${Date.now()}`;
    const ids: string[] = [];
    for (const name of ['alpha one', 'alpha two', 'beta']) {
      ids.push(await client.createProfile({ name, tags: [tag] }));
    }
    const search = (body: Record<string, unknown>) =>
      client.call<{ profiles: Record<string, unknown>[]; total_count: number }>('POST', '/profile/search', {
        is_removed: false,
        limit: 100,
        offset: 0,
        search_text: '',
        storage_type: 'all',
        tags: [tag],
        ...body,
      });

    const all = await search({});
    expect(all.body.data.total_count).toBe(3);
    expect(all.body.data.profiles.map((p) => p.name)).toEqual(['alpha one', 'alpha two', 'beta']);
    expect(all.body.data.profiles[0]).toMatchObject({
      id: ids[0],
      folder_id: expect.any(String),
      browser_type: 'mimic',
      os_type: 'linux',
      tags: [tag],
    });
    const page = await search({ limit: 1, offset: 1 });
    expect(page.body.data.profiles.map((p) => p.id)).toEqual([ids[1]]);
    expect(page.body.data.total_count).toBe(3);
    expect((await search({ search_text: 'ALPHA' })).body.data.total_count).toBe(2);

    const update = await client.call('POST', '/profile/partial_update', {
      profile_id: ids[2],
      proxy: { type: 'http', host: '127.0.0.1', port: 3128, username: 'u', password: 'secret-proxy-pw' },
      parameters: { flags: { proxy_masking: 'custom' } },
    });
    expect(update.http).toBe(200);
    expect(update.body).toEqual({
      status: { error_code: '', http_code: 200, message: 'Profile successfully updated' },
      data: null,
    });
    const beta = (await search({ search_text: 'beta' })).body.data.profiles[0];
    expect(beta?.proxy).toEqual({ type: 'http', host: '127.0.0.1', port: 3128, username: 'u' });
    expect(JSON.stringify(beta)).not.toContain('secret-proxy-pw');

    expect((await client.call('POST', '/profile/remove', { ids: [ids[0]] })).http).toBe(200);
    expect((await search({})).body.data.total_count).toBe(2);
    expect((await search({ is_removed: true })).body.data.profiles.map((p) => p.id)).toEqual([ids[0]]);
    const permanently = await client.call('POST', '/profile/remove', {
      ids: [ids[0], ids[1]],
      permanently: true,
    });
    expect(permanently.http).toBe(200);
    expect((await search({ is_removed: true })).body.data.total_count).toBe(0);
    expect((await search({})).body.data.total_count).toBe(1);
  });

  it('answers PROFILE_NOT_FOUND for unknown profiles everywhere', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const answers = await Promise.all([
      client.start(unknown),
      client.stop(unknown),
      client.call('GET', `/api/v1/profile/status/p/${unknown}`),
      client.call('POST', '/profile/partial_update', { profile_id: unknown, proxy: null }),
      client.call('POST', '/profile/remove', { ids: [unknown] }),
      client.call('GET', `/bpds/profile/unlock_profiles?ids=${unknown}`),
    ]);
    for (const answer of answers) {
      expect(answer.http).toBe(404);
      expect(answer.body).toEqual({
        status: {
          error_code: 'PROFILE_NOT_FOUND',
          http_code: 404,
          message: expect.stringContaining(unknown),
        },
        data: null,
      });
    }
  });

  it('unlocks known profiles (nothing running: nothing to stop); an unlock without ids is a 400 naming ids', async () => {
    const id = await client.createProfile({ name: 'to-unlock' });
    const unlocked = await client.call('GET', `/bpds/profile/unlock_profiles?ids=${id}`);
    expect(unlocked.http).toBe(200);
    expect(unlocked.body).toMatchObject({
      status: { error_code: '', message: 'Profiles unlocked' },
      data: null,
    });
    const bad = await client.call('GET', '/bpds/profile/unlock_profiles');
    expect(bad.http).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/ids/);
  });

  it('answers 400 BAD_REQUEST naming the field for malformed bodies', async () => {
    const cases: [string, unknown, string | undefined, RegExp][] = [
      ['/profile/search', undefined, '{"limit": 10,', /malformed/i],
      ['/profile/search', { limit: 0 }, undefined, /limit/],
      ['/profile/search', { limit: 101 }, undefined, /limit/],
      ['/profile/search', { is_removed: 'no' }, undefined, /is_removed/],
      ['/profile/partial_update', { proxy: null }, undefined, /profile_id/],
      [
        '/profile/partial_update',
        { profile_id: 'x', proxy: { type: 'ftp', host: 'h', port: 1 } },
        undefined,
        /proxy\.type/,
      ],
      [
        '/profile/partial_update',
        { profile_id: 'x', proxy: { type: 'http', host: 'h', port: 70000 } },
        undefined,
        /proxy\.port/,
      ],
      ['/profile/create', { name: 42 }, undefined, /name/],
      ['/profile/create', [1, 2], undefined, /body/],
      ['/profile/remove', { ids: [] }, undefined, /ids/],
      ['/user/signin', { email: EMAIL }, undefined, /password/],
    ];
    for (const [path, body, raw, message] of cases) {
      const answer = await client.call('POST', path, body, raw === undefined ? {} : { raw });
      expect({ path, http: answer.http, code: answer.body.status.error_code }).toEqual({
        path,
        http: 400,
        code: 'BAD_REQUEST',
      });
      expect(answer.body.status.message).toMatch(message);
      expect(answer.body.data).toBeNull();
    }
  });

  it('refuses a socks5 proxy with credentials with PROXY_NOT_SUPPORTED', async () => {
    const id = await client.createProfile();
    const answer = await client.call('POST', '/profile/partial_update', {
      profile_id: id,
      proxy: { type: 'socks5', host: '127.0.0.1', port: 1080, username: 'u', password: 'p' },
    });
    expect(answer.http).toBe(400);
    expect(answer.body.status.error_code).toBe('PROXY_NOT_SUPPORTED');
  });
});

describe('the rest of the surface', () => {
  it('serves the version without a token', async () => {
    const answer = await client.call<{ version: string; env: string }>('GET', '/api/v1/version', undefined, {
      token: null,
    });
    expect(answer.http).toBe(200);
    expect(answer.body.data).toEqual({ version: LAUNCHER_VERSION, env: 'fleet-launcher' });
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
    expect(LAUNCHER_VERSION).toBe(pkg.version);
  });

  it('answers unknown routes with a 404 envelope, with or without a token', async () => {
    for (const token of [null, undefined]) {
      const answer = await client.call('GET', '/no/such/route', undefined, { token });
      expect(answer.http).toBe(404);
      expect(answer.body).toEqual({
        status: {
          error_code: 'NOT_FOUND',
          http_code: 404,
          message: expect.stringContaining('/no/such/route'),
        },
        data: null,
      });
    }
  });

  it('keeps the password, its MD5 and tokens out of the log and of profiles.json', () => {
    const log = logLines.join('');
    expect(log.length).toBeGreaterThan(0);
    expect(log).not.toContain(PASSWORD);
    expect(log).not.toContain(md5(PASSWORD));
    expect(log).not.toContain(client.token as string);
    expect(readFileSync(join(data.dir, 'profiles.json'), 'utf8')).not.toContain(client.token as string);
  });
});
