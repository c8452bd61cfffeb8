import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProfileView } from '@fleet/contracts';
import { type RunningLauncher, startLauncher } from '@fleet/launcher';
import { launcherSettings, MultiloginClient, ProviderClients } from '@fleet/multilogin';
import { auth, json, OPS_KEY, startTestApi, type TestApi } from './test-app.js';

const EMAIL = 'import@fleet.test';
const PASSWORD = 'import-password-1';

describe('POST /v1/profiles/import from the provider (the launcher speaks the Multilogin API)', () => {
  let launcher: RunningLauncher;
  let second: RunningLauncher;
  let t: TestApi;
  let client: MultiloginClient;
  const dir = mkdtempSync(join(tmpdir(), 'fleet-import-'));
  const secondDir = mkdtempSync(join(tmpdir(), 'fleet-import-2-'));
  let folderId: string;

  beforeAll(async () => {
    launcher = await startLauncher({ dataDir: dir, email: EMAIL, password: PASSWORD });
    client = new MultiloginClient({
      apiUrl: launcher.url,
      launcherUrl: launcher.url,
      email: EMAIL,
      password: PASSWORD,
    });
    folderId = (await client.listFolders())[0]!.id;
    for (let i = 0; i < 3; i++) await client.createProfile({ name: `imp-${i}`, folderId });
    // A second launcher host with its own two profiles, reached by giving its URL on import.
    second = await startLauncher({ dataDir: secondDir, email: EMAIL, password: PASSWORD });
    const secondClient = new MultiloginClient({
      apiUrl: second.url,
      launcherUrl: second.url,
      email: EMAIL,
      password: PASSWORD,
    });
    const secondFolder = (await secondClient.listFolders())[0]!.id;
    for (let i = 0; i < 2; i++) await secondClient.createProfile({ name: `h2-${i}`, folderId: secondFolder });
    const settings = launcherSettings(launcher.url, EMAIL, PASSWORD);
    t = await startTestApi({}, { profileSource: new ProviderClients(settings) });
  });
  afterAll(async () => {
    await t.close();
    await launcher.close();
    await second.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(secondDir, { recursive: true, force: true });
  });

  it('registers every provider profile in the pool once; a second import finds them there', async () => {
    const first = await t.app.inject({
      method: 'POST',
      url: '/v1/profiles/import',
      headers: auth(OPS_KEY),
      payload: { pool: 'imported', tags: ['mlx'] },
    });
    expect(first.statusCode).toBe(200);
    expect(json(first)).toEqual({ pool: 'imported', registered: 3, existing: 0 });
    const second = await t.app.inject({
      method: 'POST',
      url: '/v1/profiles/import',
      headers: auth(OPS_KEY),
      payload: { pool: 'imported', folderId },
    });
    expect(json(second)).toEqual({ pool: 'imported', registered: 0, existing: 3 });
    const list = json<{ profiles: ProfileView[] }>(
      await t.app.inject({ url: '/v1/profiles?pool=imported', headers: auth(OPS_KEY) }),
    );
    expect(list.profiles).toHaveLength(3);
    for (const p of list.profiles) expect(p).toMatchObject({ folderId, tags: ['mlx'], state: 'available' });
  });

  it('honours the limit; profiles registered in another pool count as existing (a profile has one pool)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/profiles/import',
      headers: auth(OPS_KEY),
      payload: { pool: 'small', limit: 2 },
    });
    expect(json(res)).toEqual({ pool: 'small', registered: 0, existing: 2 });
  });

  it("imports from a given launcher host and records it as the profiles' home", async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/profiles/import',
      headers: auth(OPS_KEY),
      payload: { pool: 'host2', launcher: `${second.url}/` },
    });
    expect(json(res)).toEqual({ pool: 'host2', registered: 2, existing: 0 });
    const list = json<{ profiles: ProfileView[] }>(
      await t.app.inject({ url: '/v1/profiles?pool=host2', headers: auth(OPS_KEY) }),
    );
    expect(list.profiles.map((p) => p.launcher)).toEqual([second.url, second.url]);
    const own = json<{ profiles: ProfileView[] }>(
      await t.app.inject({ url: '/v1/profiles?pool=imported', headers: auth(OPS_KEY) }),
    );
    expect(own.profiles.every((p) => p.launcher === null)).toBe(true);
  });

  it('refuses a launcher that is not an origin (a path, credentials, another scheme)', async () => {
    for (const bad of ['http://10.231.0.11:45001/api', 'http://u:p@10.231.0.11:45001', 'ftp://10.231.0.11']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/profiles/import',
        headers: auth(OPS_KEY),
        payload: { pool: 'host2', launcher: bad },
      });
      expect(res.statusCode).toBe(400);
      expect(json(res)).toMatchObject({
        error: { code: 'VALIDATION_FAILED', details: [{ field: 'launcher' }] },
      });
    }
  });
});
