import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrivateTargetGuard } from '@fleet/targets';
import {
  type GatewaySite,
  type PrivateTarget,
  startGatewaySite,
  startPrivateTarget,
  startTestProxy,
  type TestProxy,
} from '@fleet/testing';
import { FileArtifactStore, WebdriverioDriver } from '@fleet/webdriver';
import type { RunningLauncher } from './launcher.js';

type Run = Parameters<WebdriverioDriver['run']>;
type WebDriverEndpoint = Run[0];
type Step = Run[1][number];
interface DomainError extends Error {
  code: string;
  details: Array<{ step: number | null; kind: string | null }>;
}

import { launch, TestClient, tempDataDir } from './test-support.js';

// BLOCK_PRIVATE_TARGETS at request level: the launcher puts a guarding proxy in front of each
// browser, so what the worker's goto check cannot see — a redirect's next hop, a page's own
// requests — is refused before it reaches the private address. Real Chromium, real servers: the
// private server counts TCP connections, and must see none.

let data: ReturnType<typeof tempDataDir>;
let launcher: RunningLauncher;
let client: TestClient;
let gateway: GatewaySite;
let secret: PrivateTarget;
let proxy: TestProxy;
let artifacts: string;
let endpoint: WebDriverEndpoint;
let profileId: string;

beforeAll(async () => {
  data = tempDataDir();
  [gateway, secret, proxy] = await Promise.all([startGatewaySite(), startPrivateTarget(), startTestProxy()]);
  launcher = await launch(data.dir, { blockPrivateTargets: true, allowedTargets: [gateway.hostPort] });
  client = new TestClient(launcher.url);
  await client.signIn();
  profileId = await client.createProfile();
  const answer = await client.start(profileId);
  expect(answer.body.status.error_code).toBe('');
  endpoint = { protocol: 'http', hostname: '127.0.0.1', port: Number(answer.body.data.port), path: '/' };
  artifacts = mkdtempSync(join(tmpdir(), 'fleet-launcher-guard-'));
});

afterAll(async () => {
  await launcher?.close();
  await Promise.all([gateway?.close(), secret?.close(), proxy?.close()]);
  data?.cleanup();
  if (artifacts) rmSync(artifacts, { recursive: true, force: true });
});

afterEach(() => {
  // The point of every test here: nothing reached the private server, on any of its addresses.
  expect(secret.requests).toEqual([]);
  expect(secret.connections).toBe(0);
});

function run(driver: WebdriverioDriver, steps: Step[], on = endpoint) {
  return driver.run(on, steps, {
    deadlineAt: Date.now() + 30_000,
    stepTimeoutMs: 10_000,
    signal: new AbortController().signal,
    itemId: 'guard:0',
  });
}

async function failure(pending: Promise<unknown>) {
  const error = await pending.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error && 'code' in error))
    throw new Error(`expected a domain error, got ${String(error)}`);
  return error as DomainError;
}

const guarded = () =>
  new WebdriverioDriver({
    artifacts: new FileArtifactStore(artifacts),
    targetGuard: new PrivateTargetGuard({ allowed: [gateway.hostPort] }),
  });
const unguarded = () => new WebdriverioDriver({ artifacts: new FileArtifactStore(artifacts) });
const redirect = (to: string) => `${gateway.url}/redirect?to=${encodeURIComponent(to)}`;

test('the allowlisted site loads through the guarding proxy', async () => {
  const outcome = await run(guarded(), [
    { goto: `${gateway.url}/` },
    { extract: { name: 'heading', selector: '#heading' } },
  ]);
  expect(outcome.data).toEqual({ heading: 'Public gateway' });
});

test.each([
  ['127.0.0.1', () => `http://127.0.0.1:${secret.port}/admin`],
  ['127.0.0.2', () => `http://127.0.0.2:${secret.port}/admin`],
  ['localhost', () => `http://localhost:${secret.port}/admin`],
  ['[::1]', () => `http://[::1]:${secret.port}/admin`],
  ['the decimal form of 127.0.0.1', () => `http://2130706433:${secret.port}/admin`],
  ['https (a CONNECT tunnel)', () => `https://127.0.0.1:${secret.port}/admin`],
])('a redirect to %s → TARGET_BLOCKED, and the private server never sees a connection', async (_, to) => {
  const error = await failure(run(guarded(), [{ goto: redirect(to()) }]));
  expect(error.code).toBe('TARGET_BLOCKED');
  expect(error.details[0]).toMatchObject({ step: 0, kind: 'goto' });
});

test('without the worker guard, the proxy alone still stops the redirect (its refusal page is what loads)', async () => {
  const outcome = await run(unguarded(), [
    { goto: redirect(`http://127.0.0.1:${secret.port}/admin`) },
    { extract: { name: 'body', selector: 'body' } },
  ]);
  expect(outcome.url).toBe(`http://127.0.0.1:${secret.port}/admin`);
  expect(String(outcome.data.body)).toContain('Fleet refused this request: 127.0.0.1 is a loopback address');
});

test("a page's own requests to a private address (img, iframe, css, script, fetch, WebSocket, beacon) are refused; the page still works", async () => {
  for (const to of [
    `http://127.0.0.1:${secret.port}`,
    `http://localhost:${secret.port}`,
    `http://[::1]:${secret.port}`,
  ]) {
    const outcome = await run(guarded(), [
      { goto: `${gateway.url}/embed?to=${encodeURIComponent(to)}` },
      { sleep: 500 }, // let the subresources, the fetch and the socket try
      { extract: { name: 'heading', selector: '#heading' } },
    ]);
    expect(outcome.data).toEqual({ heading: 'Embeds' });
  }
});

test('a profile with its own proxy: the relay judges each request, then hands it to that proxy', async () => {
  const id = await client.createProfile();
  const update = await client.call('POST', '/profile/partial_update', {
    profile_id: id,
    proxy: { type: 'http', host: '127.0.0.1', port: proxy.port, username: '', password: '' },
    parameters: { flags: { proxy_masking: 'custom' } },
  });
  expect(update.http).toBe(200);
  const answer = await client.start(id);
  expect(answer.body.status.error_code).toBe('');
  const proxied: WebDriverEndpoint = { ...endpoint, port: Number(answer.body.data.port) };
  try {
    const ok = await run(guarded(), [{ goto: `${gateway.url}/` }], proxied);
    expect(ok.title).toBe('Gateway');
    const error = await failure(
      run(guarded(), [{ goto: redirect(`http://127.0.0.2:${secret.port}/`) }], proxied),
    );
    expect(error.code).toBe('TARGET_BLOCKED');
    const targets = proxy.requests.map((r) => r.target);
    expect(targets).toContain(`${gateway.url}/`);
    expect(targets).toContain(redirect(`http://127.0.0.2:${secret.port}/`));
    expect(targets.filter((t) => t.startsWith(`http://127.0.0.2:${secret.port}`))).toEqual([]);
  } finally {
    await client.stop(id);
  }
});
