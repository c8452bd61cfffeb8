import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProfileFaultError, ProviderUnreachableError } from '@fleet/core';
import { type RunningLauncher, startLauncher } from '@fleet/launcher';
import { freePort } from '@fleet/testing';
import { HomeLauncherProvider, launcherSettings, MultiloginClient } from '../src/index.js';
import { failure, leasedProfile } from './test-support.js';

// Local profiles on two launcher hosts: a worker configured with launcher A starts, stops and
// reads a profile whose home is launcher B on B (real launchers, real Chromium). A home that
// cannot be reached, and a home that does not hold the profile, say so without blaming the profile.

const EMAIL = 'hosts@fleet.local';
const PASSWORD = 'home-launcher-password';
jest.setTimeout(120_000);

const dirs: string[] = [];
const launchers: RunningLauncher[] = [];
async function launcher(port?: number): Promise<RunningLauncher> {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-home-'));
  dirs.push(dir);
  const l = await startLauncher({ dataDir: dir, email: EMAIL, password: PASSWORD, port });
  launchers.push(l);
  return l;
}
afterAll(async () => {
  await Promise.all(launchers.map((l) => l.close().catch(() => undefined)));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const settingsAt = (url: string) => launcherSettings(url, EMAIL, PASSWORD);

async function newProfileOn(l: RunningLauncher, name: string) {
  const client = new MultiloginClient({
    apiUrl: l.url,
    launcherUrl: l.url,
    email: EMAIL,
    password: PASSWORD,
  });
  const folderId = (await client.listFolders())[0]!.id;
  const id = await client.createProfile({ name, folderId });
  return { client, folderId, id };
}

test("a profile is started, read and stopped on its home launcher, not on the worker's own", async () => {
  const own = await launcher();
  const home = await launcher();
  const b = await newProfileOn(home, 'homed');
  const seen: string[] = [];
  const answered: string[] = [];
  let now = 1_000_000;
  const provider = new HomeLauncherProvider(settingsAt(own.url), {
    onUnreachable: (p) => seen.push(`down ${p}`),
    onReachable: (p) => seen.push(`up ${p}`),
    onAnswered: (p) => answered.push(p),
    answeredEveryMs: 2000,
    now: () => now,
  });
  const profile = leasedProfile(b.id, { folderId: b.folderId, launcher: home.url });

  const endpoint = await provider.start(profile);
  expect(endpoint.hostname).toBe('127.0.0.1');
  expect((await b.client.profileStatus(b.id)).status).toBe('browser_running');
  expect(await provider.status(profile)).toBe('running');
  // The worker's own launcher never heard of it.
  const ownClient = new MultiloginClient({
    apiUrl: own.url,
    launcherUrl: own.url,
    email: EMAIL,
    password: PASSWORD,
  });
  await expect(ownClient.profileStatus(b.id)).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND' });

  await provider.stop(profile);
  expect(await provider.status(profile)).toBe('stopped');
  expect(seen).toEqual([]);
  // It answered: told once per 2 s (another worker's "down" mark in the pool view is cleared by it).
  expect(answered).toEqual([new URL(home.url).origin]);
  now += 2000;
  await provider.status(profile);
  expect(answered).toEqual([new URL(home.url).origin, new URL(home.url).origin]);

  // Reclaim after a crashed holder: the cloud lock is cleared at the home (the launcher stops the
  // browser the dead holder left running there).
  await provider.start(profile);
  await provider.unlock(profile);
  expect(await provider.status(profile)).toBe('stopped');
});

test('an unreachable home is the host\'s trouble: ProviderUnreachableError with its origin, and "up" once it answers', async () => {
  const own = await launcher();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const seen: string[] = [];
  let now = 1_000_000;
  const provider = new HomeLauncherProvider(settingsAt(own.url), {
    onUnreachable: (p) => seen.push(`down ${p}`),
    onReachable: (p) => seen.push(`up ${p}`),
    retryDownAfterMs: 5000,
    now: () => now,
  });
  const profile = leasedProfile('p-away', { folderId: 'f', launcher: url });

  const error = await failure(provider.status(profile));
  expect(error).toBeInstanceOf(ProviderUnreachableError);
  expect(error).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', kind: 'retryable', provider: url });
  expect(seen).toEqual([`down ${url}`]);

  // The host comes back: a launcher on that port (which does not hold the profile). Within 5 s of
  // the failed call the provider does not try it (no connection: a cut-off host would cost a
  // connect timeout per try); after that it does.
  await launcher(port);
  now += 4000;
  const early = await failure(provider.status(profile));
  expect(early).toBeInstanceOf(ProviderUnreachableError);
  expect(early.message).toMatch(/not reachable 4000 ms ago: not tried again yet/);
  expect(seen).toEqual([`down ${url}`]);
  now += 1000;
  const back = await failure(provider.status(profile));
  expect(back).toBeInstanceOf(ProfileFaultError);
  expect(back.code).toBe('PROFILE_NOT_AT_LAUNCHER');
  expect(back.message).toContain(`its home launcher ${url}`);
  expect(seen).toEqual([`down ${url}`, `up ${url}`]);
});

test("a profile without a home goes to the worker's own launcher", async () => {
  const own = await launcher();
  const a = await newProfileOn(own, 'unhomed');
  const provider = new HomeLauncherProvider(settingsAt(own.url));
  const profile = leasedProfile(a.id, { folderId: a.folderId });
  expect(provider.homeOf(profile)).toBe(own.url);
  expect(await provider.status(profile)).toBe('stopped');
});
