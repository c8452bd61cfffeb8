import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrivateTargetGuard } from '@fleet/targets';
import { type PrivateTarget, startPrivateTarget } from '@fleet/testing';
import { FileArtifactStore } from './artifact-store.js';
import { startTestBrowser, type TestBrowser } from './test-browser.js';
import { startTestSite, type TestSite } from './test-site.js';
import { failure, runOptions } from './test-support.js';
import { WebdriverioDriver } from './webdriverio-driver.js';

// The worker's half of BLOCK_PRIVATE_TARGETS, with real Chromium: a goto to a private address is
// refused before the browser sends anything; a redirect is caught on the page it ended at. (That
// redirect's request itself is stopped by the launcher's guarding proxy, which this bare browser
// does not have: apps/launcher/src/private-targets.test.ts proves that part.)

let browser: TestBrowser;
let site: TestSite;
let secret: PrivateTarget;
let dir: string;
let driver: WebdriverioDriver;

beforeAll(async () => {
  [browser, site, secret] = await Promise.all([startTestBrowser(), startTestSite(), startPrivateTarget()]);
  dir = mkdtempSync(join(tmpdir(), 'fleet-guard-'));
  driver = new WebdriverioDriver({
    artifacts: new FileArtifactStore(dir),
    targetGuard: new PrivateTargetGuard({ allowed: [`127.0.0.1:${site.port}`] }),
  });
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([site?.close(), secret?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await driver.release(browser.endpoint);
  expect(browser.openSessions()).toEqual([]);
});

const options = () => runOptions('guard:1');

test('the allowlisted site is driven as usual', async () => {
  const outcome = await driver.run(
    browser.endpoint,
    [{ goto: `${site.url}/` }, { extract: { name: 'heading', selector: '#heading' } }],
    options(),
  );
  expect(outcome.data).toEqual({ heading: 'Catalogue' });
});

test.each([
  ['127.0.0.1 on another port', () => `http://127.0.0.1:${secret.port}/admin`],
  ['127.0.0.2', () => `http://127.0.0.2:${secret.port}/admin`],
  ['localhost', () => `http://localhost:${secret.port}/admin`],
  ['a *.localhost name', () => `http://admin.localhost:${secret.port}/`],
  ['[::1]', () => `http://[::1]:${secret.port}/admin`],
  ['[::ffff:127.0.0.1]', () => `http://[::ffff:127.0.0.1]:${secret.port}/admin`],
  ['2130706433 (127.0.0.1 as a number)', () => `http://2130706433:${secret.port}/admin`],
  ['0x7f.1', () => `http://0x7f.1:${secret.port}/admin`],
  ['0.0.0.0', () => `http://0.0.0.0:${secret.port}/admin`],
  ['169.254.169.254 (cloud metadata)', () => 'http://169.254.169.254/latest/meta-data/'],
  ['10.0.0.1', () => 'http://10.0.0.1/'],
])('goto %s → TARGET_BLOCKED before any request', async (_, url) => {
  const error = await failure(driver.run(browser.endpoint, [{ goto: url() }], options()));
  expect(error.code).toBe('TARGET_BLOCKED');
  expect(error.kind).toBe('non-retryable');
  expect(error.details[0]).toMatchObject({ step: 0, kind: 'goto' });
  expect(error.details[0]!.artifactId).toBeUndefined(); // no failure screenshot of a refused page
  expect(secret.connections).toBe(0);
  expect(secret.requests).toEqual([]);
});

test('a later goto to a private address fails the run at that step, after the allowed ones', async () => {
  const steps = [{ goto: `${site.url}/` }, { goto: `http://localhost:${secret.port}/` }];
  const error = await failure(driver.run(browser.endpoint, steps, options()));
  expect(error.code).toBe('TARGET_BLOCKED');
  expect(error.details[0]).toMatchObject({ step: 1, kind: 'goto' });
  expect(error.message).toContain(
    `http://localhost:${secret.port}/ is refused: localhost is a loopback address`,
  );
  expect(secret.connections).toBe(0);
});

test.each([
  ['127.0.0.2', () => `http://127.0.0.2:${secret.port}/admin`],
  ['[::1]', () => `http://[::1]:${secret.port}/admin`],
])('a redirect to %s → TARGET_BLOCKED on landing, the refused page is left at once', async (_, to) => {
  const steps = [
    { goto: `${site.url}/redirect?to=${encodeURIComponent(to())}` },
    { extract: { name: 'leak', selector: '#secret' } },
  ];
  const error = await failure(driver.run(browser.endpoint, steps, options()));
  expect(error.code).toBe('TARGET_BLOCKED');
  expect(error.details[0]).toMatchObject({ step: 0, kind: 'goto' });
  expect(error.details[0]!.artifactId).toBeUndefined();
  const next = await driver.run(browser.endpoint, [{ sleep: 0 }], options());
  expect(next.url).toBe('about:blank');
});

test('a name that does not resolve is left to fail as a navigation error, not called blocked', async () => {
  const steps = [{ goto: 'http://fleet-guard-test.invalid/' }];
  const error = await failure(
    driver.run(browser.endpoint, steps, runOptions('guard:2', { stepTimeoutMs: 10_000 })),
  );
  expect(error.code).toBe('NAVIGATION_FAILED');
});
