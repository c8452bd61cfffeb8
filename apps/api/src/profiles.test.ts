import type { ProfileView } from '@fleet/contracts';
import { SecretBox } from '@fleet/redis';
import { ACME_KEY, auth, json, OPS_KEY, startTestApi, useTestApi } from './test-app.js';

describe('profiles API (admin)', () => {
  const t = useTestApi();

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, key = OPS_KEY) =>
    t.app.inject({ method, url, headers: auth(key), ...(payload ? { payload } : {}) });

  it('registers, reads, updates and lists profiles; a proxy password is never shown', async () => {
    const created = await call('POST', '/v1/profiles', {
      id: 'prof-1',
      pool: 'eu',
      tags: ['de'],
      folderId: 'f1',
      proxy: { type: 'http', host: '10.0.0.1', port: 8080, username: 'u', password: 'proxy-secret-1' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.body).not.toContain('proxy-secret-1');
    expect(json<ProfileView>(created)).toMatchObject({
      id: 'prof-1',
      pool: 'eu',
      tags: ['de'],
      folderId: 'f1',
      state: 'available',
      proxy: { type: 'http', host: '10.0.0.1', port: 8080, username: 'u', hasPassword: true },
    });
    expect((await call('POST', '/v1/profiles', { id: 'prof-1', pool: 'eu' })).statusCode).toBe(409);
    await call('POST', '/v1/profiles', { id: 'prof-2', pool: 'eu' });

    const patched = await call('PATCH', '/v1/profiles/prof-1', { tags: ['fr'], proxy: null });
    expect(json<ProfileView>(patched)).toMatchObject({ tags: ['fr'], proxy: null, folderId: 'f1' });
    expect(json<ProfileView>(await call('GET', '/v1/profiles/prof-1')).tags).toEqual(['fr']);
    expect((await call('GET', '/v1/profiles/nope')).statusCode).toBe(404);

    const list = json<{ profiles: ProfileView[] }>(await call('GET', '/v1/profiles?pool=eu'));
    expect(list.profiles.map((p) => p.id).sort()).toEqual(['prof-1', 'prof-2']);
  });

  it("records a profile's home launcher (an origin); PATCH moves it, null clears it, the folder stays", async () => {
    const created = await call('POST', '/v1/profiles', {
      id: 'homed-1',
      pool: 'hosts',
      folderId: 'f9',
      launcher: 'http://10.231.0.11:45001/',
    });
    expect(json<ProfileView>(created)).toMatchObject({
      launcher: 'http://10.231.0.11:45001',
      folderId: 'f9',
    });
    const moved = await call('PATCH', '/v1/profiles/homed-1', { launcher: 'http://10.231.0.12:45001' });
    expect(json<ProfileView>(moved)).toMatchObject({ launcher: 'http://10.231.0.12:45001', folderId: 'f9' });
    const tagged = await call('PATCH', '/v1/profiles/homed-1', { folderId: 'f10' });
    expect(json<ProfileView>(tagged)).toMatchObject({
      launcher: 'http://10.231.0.12:45001',
      folderId: 'f10',
    });
    const cleared = await call('PATCH', '/v1/profiles/homed-1', { launcher: null });
    expect(json<ProfileView>(cleared)).toMatchObject({ launcher: null, folderId: 'f10' });
    const bad = await call('POST', '/v1/profiles', {
      id: 'homed-2',
      pool: 'hosts',
      launcher: '10.231.0.11:45001',
    });
    expect(bad.statusCode).toBe(400);
    expect(json(bad)).toMatchObject({
      error: {
        code: 'VALIDATION_FAILED',
        details: [{ field: 'launcher', message: expect.stringMatching(/origin/) }],
      },
    });
  });

  it('quarantines and releases; filters by state', async () => {
    await call('POST', '/v1/profiles', { id: 'prof-q', pool: 'qpool' });
    const q = await call('POST', '/v1/profiles/prof-q/quarantine', {
      reason: 'captcha wall',
      durationMs: 60_000,
    });
    expect(json<ProfileView>(q)).toMatchObject({
      state: 'quarantined',
      quarantine: { reason: 'captcha wall' },
    });
    const quarantined = json<{ profiles: ProfileView[] }>(
      await call('GET', '/v1/profiles?pool=qpool&state=quarantined'),
    );
    expect(quarantined.profiles.map((p) => p.id)).toEqual(['prof-q']);
    const released = await call('POST', '/v1/profiles/prof-q/release');
    expect(json<ProfileView>(released).state).toBe('available');
    const again = await call('POST', '/v1/profiles/prof-q/release');
    expect(again.statusCode).toBe(409);
    expect(json(again)).toMatchObject({ error: { code: 'PROFILE_NOT_QUARANTINED' } });
  });

  it('refuses to delete a leased profile unless forced; shows the lease holder', async () => {
    await call('POST', '/v1/profiles', { id: 'prof-l', pool: 'lpool' });
    const lease = await t.profiles.acquire({ pool: 'lpool' }, 'worker-a', 'token-a', 60_000);
    expect(lease?.profileId).toBe('prof-l');
    const shown = json<ProfileView>(await call('GET', '/v1/profiles/prof-l'));
    expect(shown).toMatchObject({ state: 'leased', lease: { owner: 'worker-a', fence: lease!.fence } });
    const refused = await call('DELETE', '/v1/profiles/prof-l');
    expect(refused.statusCode).toBe(409);
    expect(json(refused)).toMatchObject({ error: { code: 'PROFILE_LEASED' } });
    expect((await call('DELETE', '/v1/profiles/prof-l?force=true')).statusCode).toBe(204);
    expect((await call('GET', '/v1/profiles/prof-l')).statusCode).toBe(404);
  });

  it('is admin only: a user key gets 403 on every profile route', async () => {
    for (const [method, url] of [
      ['GET', '/v1/profiles'],
      ['POST', '/v1/profiles'],
      ['GET', '/v1/profiles/prof-1'],
      ['PATCH', '/v1/profiles/prof-1'],
      ['DELETE', '/v1/profiles/prof-1'],
      ['POST', '/v1/profiles/prof-1/quarantine'],
      ['POST', '/v1/profiles/prof-1/release'],
      ['POST', '/v1/profiles/import'],
    ] as const) {
      const res = await call(method, url, method === 'GET' || method === 'DELETE' ? undefined : {}, ACME_KEY);
      expect([method, url, res.statusCode]).toEqual([method, url, 403]);
      expect(json(res)).toMatchObject({ error: { code: 'FORBIDDEN' } });
    }
  });

  it('import without a configured provider says so', async () => {
    const res = await call('POST', '/v1/profiles/import', { pool: 'default' });
    expect(res.statusCode).toBe(409);
    expect(json(res)).toMatchObject({ error: { code: 'PROVIDER_NOT_CONFIGURED' } });
  });
});

describe('proxy passwords at rest (FLEET_SECRET_KEY)', () => {
  it('are sealed in Redis; an API without the key still shows that one is set, never what it is', async () => {
    const sealed = await startTestApi({}, { secretBox: SecretBox.fromSetting(SecretBox.generateKey()) });
    try {
      const res = await sealed.app.inject({
        method: 'POST',
        url: '/v1/profiles',
        headers: auth(OPS_KEY),
        payload: {
          id: 'sealed-1',
          pool: 'p',
          proxy: { type: 'http', host: 'h', port: 1, password: 'canary-pw-91' },
        },
      });
      expect(res.statusCode).toBe(201);
      const hashes = await Promise.all(
        (await sealed.redis.keys(`${sealed.prefix}:*profile:*`)).map((k) => sealed.redis.hgetall(k)),
      );
      expect(hashes.length).toBeGreaterThan(0);
      expect(JSON.stringify(hashes)).not.toContain('canary-pw-91');
      const blind = await startTestApi({ prefix: sealed.prefix });
      try {
        const view = await blind.app.inject({ url: '/v1/profiles/sealed-1', headers: auth(OPS_KEY) });
        expect(json<ProfileView>(view).proxy).toMatchObject({ hasPassword: true });
        expect(view.body).not.toContain('canary-pw-91');
      } finally {
        await blind.app.close();
        blind.redis.disconnect();
      }
    } finally {
      await sealed.close();
    }
  });
});
