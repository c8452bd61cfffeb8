import { NonRetryableError, type Profile, ProfileFaultError } from '@fleet/core';
import { MultiloginClient, MultiloginProfileProvider } from '../src/index.js';
import { fail, ok, ScriptedServer } from './scripted-server.js';
import { leasedProfile } from './test-support.js';

let server: ScriptedServer;

beforeAll(async () => {
  server = await ScriptedServer.start();
});
afterAll(() => server.close());
beforeEach(() => {
  server.reset();
  server.script('POST /user/signin', ok({ token: 'token-1234567890' }));
});

function provider(): MultiloginProfileProvider {
  const client = new MultiloginClient({
    apiUrl: server.url,
    launcherUrl: server.url,
    email: 'ops@example.com',
    password: 'secret-password',
    retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 },
  });
  return new MultiloginProfileProvider(client);
}

const profile = (id: string, providerIds: Profile['providerIds'] = { folderId: 'folder-1' }) =>
  leasedProfile(id, providerIds);

const UPDATE = 'POST /profile/partial_update';
const proxy = { type: 'http' as const, host: '10.0.0.1', port: 3128, username: 'u', password: 'p' };

test('prepare sets the proxy at every call, even one it set before: another worker may have changed it', async () => {
  server.script(UPDATE, ok(null));
  const workerA = provider();
  const workerB = provider();
  const fleet = profile('fleet-1', { folderId: 'folder-1', multiloginId: 'ml-uuid-1' });
  await workerA.prepare(fleet, proxy); // A runs a batch with its own proxy
  await workerB.prepare(fleet, null); // B runs the profile without one
  await workerA.prepare(fleet, proxy); // A again: the provider has B's setting, so it must send it
  await workerA.prepare(fleet, null);
  const bodies = server.calls(UPDATE).map((r) => r.body);
  const withProxy = {
    profile_id: 'ml-uuid-1',
    proxy: { type: 'http', host: '10.0.0.1', port: 3128, username: 'u', password: 'p' },
    parameters: { flags: { proxy_masking: 'custom' } },
  };
  const cleared = { profile_id: 'ml-uuid-1', parameters: { flags: { proxy_masking: 'disabled' } } };
  expect(bodies).toEqual([withProxy, cleared, withProxy, cleared]);
});

test('a failed update is not remembered: the next prepare sends it again', async () => {
  server.script(UPDATE, fail(400, 'GET_PROXY_CONNECTION_IP_ERROR'), ok(null));
  const p = provider();
  await expect(p.prepare(profile('fleet-2'), proxy)).rejects.toBeInstanceOf(ProfileFaultError);
  await p.prepare(profile('fleet-2'), proxy);
  expect(server.calls(UPDATE)).toHaveLength(2);
});

test('start answers the WebDriver endpoint; PROFILE_ALREADY_RUNNING is stop + one more start', async () => {
  const start = 'GET /api/v2/profile/f/folder-1/p/fleet-3/start';
  server.script(start, fail(400, 'PROFILE_ALREADY_RUNNING'), ok({ id: 'fleet-3', port: '45678' }));
  server.script('GET /api/v1/profile/stop/p/fleet-3', ok(null));
  const endpoint = await provider().start(profile('fleet-3'));
  expect(endpoint).toEqual({ protocol: 'http', hostname: '127.0.0.1', port: 45678, path: '/' });
  expect(server.requests.map((r) => `${r.method} ${r.path}`).filter((r) => !r.includes('signin'))).toEqual([
    start,
    'GET /api/v1/profile/stop/p/fleet-3',
    start,
  ]);
});

test('start without a folder id fails with PROFILE_FOLDER_MISSING, before any call', async () => {
  const error = await provider()
    .start(profile('fleet-4', {}))
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(NonRetryableError);
  expect(error).toMatchObject({ code: 'PROFILE_FOLDER_MISSING' });
  expect(server.requests).toHaveLength(0);
});

test('stopping a stopped profile is not an error; status maps the provider word', async () => {
  server.script('GET /api/v1/profile/stop/p/fleet-5', fail(400, 'PROFILE_NOT_RUNNING'));
  await provider().stop(profile('fleet-5'));
  server.script('GET /api/v1/profile/status/p/fleet-5', ok({ status: 'browser_running' }));
  expect(await provider().status(profile('fleet-5'))).toBe('running');
});
