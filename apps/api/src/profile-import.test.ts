import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProfileView } from '@fleet/contracts';
import { type RunningLauncher, startLauncher } from '@fleet/launcher';
import { MultiloginClient } from '@fleet/multilogin';
import { auth, json, OPS_KEY, startTestApi, type TestApi } from './test-app.js';

const EMAIL = 'import@fleet.test';
const PASSWORD = 'import-password-1';

describe('POST /v1/profiles/import from the provider (the launcher speaks the Multilogin API)', () => {
  let launcher: RunningLauncher;
  let t: TestApi;
  let client: MultiloginClient;
  const dir = mkdtempSync(join(tmpdir(), 'fleet-import-'));
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
    t = await startTestApi({}, { profileSource: client });
  });
  afterAll(async () => {
    await t.close();
    await launcher.close();
    rmSync(dir, { recursive: true, force: true });
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
});
