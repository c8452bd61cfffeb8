import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FatalError, NonRetryableError, RetryableError } from '@fleet/core';
import { type RunningLauncher, startLauncher } from '@fleet/launcher';
import {
  FIXTURE_INDEX_TITLE,
  type FixtureSite,
  portOpen,
  processesMatching,
  sleep,
  startFixtureSite,
  startTestProxy,
  type TestProxy,
} from '@fleet/testing';
import { remote } from 'webdriverio';
import {
  AUTH_FAILED,
  MultiloginClient,
  type MultiloginClientOptions,
  MultiloginProfileProvider,
  md5Hex,
} from '../src/index.js';
import { captureLogger } from './scripted-server.js';
import { failure, leasedProfile } from './test-support.js';

// The client against Fleet's launcher (apps/launcher): real HTTP, real Chromium, real WebDriver.

const EMAIL = 'dev@fleet.local';
const PASSWORD = 'launcher-test-password';

jest.setTimeout(120_000);

let dataDir: string;
let launcher: RunningLauncher;
let site: FixtureSite;
let proxy: TestProxy;
let folderId: string;
const log = captureLogger();

function client(extra: Partial<MultiloginClientOptions> = {}): MultiloginClient {
  return new MultiloginClient({
    apiUrl: launcher.url,
    launcherUrl: launcher.url,
    email: EMAIL,
    password: PASSWORD,
    retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 1000 },
    logger: log.logger,
    ...extra,
  });
}

const fleetProfile = (id: string, multiloginId: string) => leasedProfile(id, { folderId, multiloginId });

/** Attach WebdriverIO to a launcher port, open the fixture page, read its title, detach. */
async function titleThrough(port: number): Promise<string> {
  const browser = await remote({
    hostname: '127.0.0.1',
    port,
    path: '/',
    capabilities: { browserName: 'chrome' },
    logLevel: 'warn',
  });
  try {
    await browser.url(site.url);
    return await browser.getTitle();
  } finally {
    await browser.deleteSession();
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'fleet-multilogin-'));
  launcher = await startLauncher({ port: 0, dataDir, email: EMAIL, password: PASSWORD });
  site = await startFixtureSite();
  proxy = await startTestProxy({ username: 'proxy-user', password: 'proxy-pass' });
  const [folder] = await client().listFolders();
  folderId = folder!.id;
});

afterAll(async () => {
  await launcher?.close();
  await site?.close();
  await proxy?.close();
  rmSync(dataDir, { recursive: true, force: true });
  // Nothing this client logged holds the password or its digest.
  const logged = JSON.stringify(log.entries);
  expect(logged).not.toContain(PASSWORD);
  expect(logged).not.toContain(md5Hex(PASSWORD));
});

test('sign in, create, set proxy, start, drive over WebDriver, stop: port closed, no Chromium left', async () => {
  const c = client();
  const id = await c.createProfile({ name: 'client-e2e', folderId, tags: ['e2e'] });
  await c.setProxy(id, {
    type: 'http',
    host: '127.0.0.1',
    port: proxy.port,
    username: 'proxy-user',
    password: 'proxy-pass',
  });
  const page = await c.searchProfiles({ folderId, tags: ['e2e'] });
  expect(page.profiles.map((p) => p.id)).toContain(id);

  const started = await c.startProfile(folderId, id, { headless: true });
  expect(await c.profileStatus(id)).toEqual({ status: 'browser_running' });
  expect(await titleThrough(started.port)).toBe(FIXTURE_INDEX_TITLE);
  // The profile's proxy carried the page request, with its credentials.
  const viaProxy = proxy.requests.filter((r) => r.target.startsWith(site.url) && r.status === 200);
  expect(viaProxy.length).toBeGreaterThan(0);
  expect(viaProxy[0]!.proxyAuthorization).toBe(
    `Basic ${Buffer.from('proxy-user:proxy-pass').toString('base64')}`,
  );

  await c.stopProfile(id);
  expect(await c.profileStatus(id)).toEqual({ status: 'stopped' });
  expect(await portOpen(started.port)).toBe(false);
  expect(processesMatching((args) => args.join(' ').includes(join(dataDir, 'profiles', id)))).toEqual([]);
});

test('provider: prepare, start, double start, PROFILE_ALREADY_RUNNING handled by stop + start, stop', async () => {
  const c = client();
  const id = await c.createProfile({ name: 'provider-e2e', folderId });
  const provider = new MultiloginProfileProvider(c);
  const profile = fleetProfile('fleet-profile-1', id);
  await provider.prepare(profile, null);

  const first = await provider.start(profile);
  expect(first).toMatchObject({ protocol: 'http', hostname: '127.0.0.1', path: '/' });
  expect(await provider.status(profile)).toBe('running');

  const double = await failure(c.startProfile(folderId, id));
  expect(double).toBeInstanceOf(RetryableError);
  expect(double.code).toBe('PROFILE_ALREADY_RUNNING');
  expect(double.details[0]).toMatchObject({ providerCode: 'PROFILE_ALREADY_RUNNING', httpStatus: 400 });

  const second = await provider.start(profile);
  expect(await portOpen(first.port)).toBe(first.port === second.port);
  expect(await titleThrough(second.port)).toBe(FIXTURE_INDEX_TITLE);

  await provider.stop(profile);
  await provider.stop(profile);
  expect(await provider.status(profile)).toBe('stopped');
  expect(await portOpen(second.port)).toBe(false);
});

test('unknown profile: NonRetryableError with the launcher code and status', async () => {
  const error = await failure(client().startProfile(folderId, '00000000-0000-0000-0000-000000000000'));
  expect(error).toBeInstanceOf(NonRetryableError);
  expect(error.code).toBe('PROFILE_NOT_FOUND');
  expect(error.details[0]).toMatchObject({ httpStatus: 404, providerCode: 'PROFILE_NOT_FOUND' });
});

test('malformed body: BAD_REQUEST, not repeated', async () => {
  const c = client();
  const id = await c.createProfile({ name: 'bad-body', folderId });
  const error = await failure(c.setProxy(id, { type: 'http', host: '127.0.0.1', port: 70_000 }));
  expect(error).toBeInstanceOf(NonRetryableError);
  expect(error.code).toBe('BAD_REQUEST');
  expect(error.message).toContain('port');
});

test('wrong password or a forged token: MULTILOGIN_AUTH_FAILED', async () => {
  const wrong = await failure(client({ password: 'not-the-password' }).searchProfiles());
  expect(wrong).toBeInstanceOf(FatalError);
  expect(wrong.code).toBe(AUTH_FAILED);
  expect(wrong.message).not.toContain('not-the-password');

  const forged = await failure(
    client({
      email: undefined,
      password: undefined,
      automationToken: 'eyJhbGciOiJIUzI1NiJ9.e30.forged-signature',
    }).searchProfiles(),
  );
  expect(forged.code).toBe(AUTH_FAILED);
});

test('expired tokens: renewed with the refresh token, or replaced by one fresh sign-in after a 401', async () => {
  const shortDir = mkdtempSync(join(tmpdir(), 'fleet-multilogin-ttl-'));
  const short = await startLauncher({
    port: 0,
    dataDir: shortDir,
    email: EMAIL,
    password: PASSWORD,
    tokenTtlMs: 1500,
  });
  try {
    const url = { apiUrl: short.url, launcherUrl: short.url };
    const { entries, logger } = captureLogger();
    const c = client({ ...url, logger });
    await c.listFolders();
    await sleep(1700);
    await c.listFolders();
    expect(entries.map((e) => e.msg)).toContain('multilogin token refreshed');

    // A token that expired in someone's hands: refused (401), then one fresh sign-in.
    const signIn = await fetch(`${short.url}/user/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: EMAIL, password: md5Hex(PASSWORD) }),
    });
    const { data } = (await signIn.json()) as { data: { token: string } };
    await sleep(1700);
    await client({ ...url, automationToken: data.token }).listFolders();
    const alone = await failure(
      client({ ...url, automationToken: data.token, email: undefined, password: undefined }).listFolders(),
    );
    expect(alone.code).toBe(AUTH_FAILED);
    expect(alone.message).not.toContain(data.token);
  } finally {
    await short.close();
    rmSync(shortDir, { recursive: true, force: true });
  }
});

test('launcher down (connection refused): PROVIDER_UNAVAILABLE naming the URL, after retries', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as { port: number };
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const { entries, logger } = captureLogger();
  const down = client({ launcherUrl: `http://127.0.0.1:${port}`, logger });
  const error = await failure(down.version());
  expect(error).toBeInstanceOf(RetryableError);
  expect(error.code).toBe('PROVIDER_UNAVAILABLE');
  expect(error.message).toContain(`http://127.0.0.1:${port} is not reachable`);
  expect(entries.filter((e) => e.msg === 'multilogin call will be retried')).toHaveLength(2);
  const start = await failure(down.startProfile(folderId, 'any'));
  expect(start.code).toBe('PROVIDER_UNAVAILABLE');
});
