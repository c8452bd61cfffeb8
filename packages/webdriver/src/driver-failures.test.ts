import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NonRetryableError, type RunStepsOptions } from '@fleet/core';
import type { TargetGuard } from '@fleet/targets';
import { freePort } from '@fleet/testing';
import { FileArtifactStore } from './artifact-store.js';
import { startTestBrowser, type TestBrowser } from './test-browser.js';
import { pngSize, startTestSite, type TestSite } from './test-site.js';
import { failure, runOptions } from './test-support.js';
import { WebdriverioDriver } from './webdriverio-driver.js';

let browser: TestBrowser;
let site: TestSite;
let dir: string;
let store: FileArtifactStore;
let driver: WebdriverioDriver;
let guarded: WebdriverioDriver;

/** Refuses `localhost` (the site also answers there), as an SSRF guard would refuse a private host. */
const refuseLocalhost: TargetGuard = {
  async check(url) {
    if (url.hostname === 'localhost')
      throw new NonRetryableError('TARGET_BLOCKED', `${url.host} is not allowed`);
  },
};

const options = (overrides: Partial<RunStepsOptions> = {}) => runOptions('batch-2:7', overrides);

beforeAll(async () => {
  [browser, site] = await Promise.all([startTestBrowser(), startTestSite()]);
  dir = mkdtempSync(join(tmpdir(), 'fleet-artifacts-'));
  store = new FileArtifactStore(dir);
  driver = new WebdriverioDriver({ artifacts: store });
  guarded = new WebdriverioDriver({ artifacts: store, targetGuard: refuseLocalhost });
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await Promise.all([driver.release(browser.endpoint), guarded.release(browser.endpoint)]);
  expect(browser.openSessions()).toEqual([]);
  expect(browser.browserRunning()).toBe(true);
});

test('assertText that does not hold → ASSERTION_FAILED quoting both texts, with a failure screenshot', async () => {
  const steps = [{ goto: `${site.url}/` }, { assertText: { selector: '#heading', contains: 'Nope' } }];
  const error = await failure(driver.run(browser.endpoint, steps, options()));
  expect(error).toBeInstanceOf(NonRetryableError);
  expect(error.code).toBe('ASSERTION_FAILED');
  expect(error.message).toContain('"Nope"');
  expect(error.message).toContain('"Catalogue"');
  const [detail] = error.details;
  expect(detail).toMatchObject({ step: 1, kind: 'assertText', path: 'steps[1]' });
  expect(error.message).toBe(`${detail!.message} (at steps[1], assertText)`);
  const shot = await store.get(detail!.artifactId as string);
  expect(shot).toMatchObject({ itemId: 'batch-2:7', name: 'failure' });
  expect(pngSize(shot!.bytes).width).toBeGreaterThan(0);
});

test('waitFor a selector that never appears → SELECTOR_NOT_FOUND after its own timeoutMs', async () => {
  const steps = [{ goto: `${site.url}/` }, { waitFor: { selector: '#never', timeoutMs: 700 } }];
  const started = Date.now();
  const error = await failure(driver.run(browser.endpoint, steps, options({ stepTimeoutMs: 10_000 })));
  const elapsed = Date.now() - started;
  expect(error.code).toBe('SELECTOR_NOT_FOUND');
  expect(error.details[0]).toMatchObject({ step: 1, kind: 'waitFor' });
  expect(error.message).toContain('within 700 ms');
  expect(elapsed).toBeGreaterThanOrEqual(700);
  expect(elapsed).toBeLessThan(8_000); // its own 700 ms, not the step's 10 s
});

test('click and type on a missing element → SELECTOR_NOT_FOUND after the step timeout', async () => {
  for (const step of [{ click: '#missing' }, { type: { selector: '#missing', text: 'x' } }]) {
    const error = await failure(driver.run(browser.endpoint, [{ goto: `${site.url}/` }, step], options()));
    expect(error.code).toBe('SELECTOR_NOT_FOUND');
    expect(error.details[0]).toMatchObject({ step: 1, kind: Object.keys(step)[0] });
  }
});

test('an invalid CSS selector → STEP_FAILED, not retryable', async () => {
  const steps = [{ goto: `${site.url}/` }, { extract: { name: 'x', selector: '##bad' } }];
  const error = await failure(driver.run(browser.endpoint, steps, options()));
  expect(error.code).toBe('STEP_FAILED');
  expect(error.kind).toBe('non-retryable');
  expect(error.details[0]).toMatchObject({ step: 1, kind: 'extract' });
});

test('extracts read in one script fail as they would one by one (same code, message, step)', async () => {
  // Fused: goto + extracts in one script. Apart: a sleep between them (not fused).
  const cases: Array<[object, number]> = [
    [{ extract: { name: 'bad', selector: '##bad' } }, 2],
    [{ extract: { name: 'json', selector: 'h1', type: 'json' } }, 2],
  ];
  for (const [failing, at] of cases) {
    const fused = [{ goto: `${site.url}/` }, { extract: { name: 'ok', selector: 'h1' } }, failing];
    const apart = [
      { goto: `${site.url}/` },
      { extract: { name: 'ok', selector: 'h1' } },
      { sleep: 0 },
      failing,
    ];
    const a = await failure(driver.run(browser.endpoint, fused as never, options()));
    const b = await failure(driver.run(browser.endpoint, apart as never, options()));
    expect(a.code).toBe(b.code);
    // The message names the step's path: steps[2] fused, steps[3] apart.
    expect(a.message).toBe(b.message.replace(`steps[${at + 1}]`, `steps[${at}]`));
    expect(a.details[0]).toMatchObject({ step: at, kind: 'extract' });
    expect(b.details[0]).toMatchObject({ step: at + 1, kind: 'extract' });
  }
});

test('a page that cannot be reached → retryable NAVIGATION_FAILED naming the net error', async () => {
  const closed = await freePort();
  const error = await failure(
    driver.run(browser.endpoint, [{ goto: `http://127.0.0.1:${closed}/x?token=s3cret` }], options()),
  );
  expect(error.code).toBe('NAVIGATION_FAILED');
  expect(error.kind).toBe('retryable');
  expect(error.message).toContain('net::ERR_CONNECTION_REFUSED');
  expect(error.message).not.toContain('s3cret');
  expect(error.details[0]).toMatchObject({ step: 0, kind: 'goto' });
});

test('a host name that does not resolve → retryable NAVIGATION_FAILED', async () => {
  // chromedriver throws for this net error (most others end on Chromium's error page instead).
  const steps = [{ goto: 'http://fleet-test.invalid/' }];
  // A failed lookup can take a while on a loaded machine: give it more than the default.
  const error = await failure(driver.run(browser.endpoint, steps, options({ stepTimeoutMs: 10_000 })));
  expect(error.code).toBe('NAVIGATION_FAILED');
  expect(error.message).toContain('net::ERR_NAME_NOT_RESOLVED');
});

test('a page slower than the step timeout → retryable NAVIGATION_FAILED', async () => {
  const started = Date.now();
  const error = await failure(
    driver.run(browser.endpoint, [{ goto: `${site.url}/slow?ms=30000` }], options()),
  );
  expect(error.code).toBe('NAVIGATION_FAILED');
  expect(error.kind).toBe('retryable');
  expect(Date.now() - started).toBeLessThan(20_000); // the 5 s step timeout, not the 30 s page
});

test('goto refuses non-http URLs even without a guard → TARGET_BLOCKED', async () => {
  const error = await failure(driver.run(browser.endpoint, [{ goto: 'file:///etc/passwd' }], options()));
  expect(error.code).toBe('TARGET_BLOCKED');
  expect(error.details[0]).toMatchObject({ step: 0, kind: 'goto' });
});

test('a TargetGuard refusing the host → TARGET_BLOCKED before any request, no screenshot kept', async () => {
  const before = site.visits.length;
  const steps = [{ goto: `${site.url}/` }, { goto: `http://localhost:${site.port}/next` }];
  const error = await failure(guarded.run(browser.endpoint, steps, options()));
  expect(error.code).toBe('TARGET_BLOCKED');
  expect(error.kind).toBe('non-retryable');
  expect(error.details[0]).toMatchObject({ step: 1, kind: 'goto' });
  expect(error.details[0]!.artifactId).toBeUndefined();
  expect(site.visits.slice(before).map((v) => v.host)).toEqual([`127.0.0.1:${site.port}`]);
});

test('a redirect to a refused host → TARGET_BLOCKED, and the browser is left on about:blank', async () => {
  const to = encodeURIComponent(`http://localhost:${site.port}/next`);
  const steps = [{ goto: `${site.url}/redirect?to=${to}` }, { extract: { name: 'leak', selector: 'h1' } }];
  const error = await failure(guarded.run(browser.endpoint, steps, options()));
  expect(error.code).toBe('TARGET_BLOCKED');
  expect(error.details[0]).toMatchObject({ step: 0, kind: 'goto' });
  expect(error.details[0]!.artifactId).toBeUndefined();
  // The next session on this browser finds nothing of the refused page.
  const next = await guarded.run(browser.endpoint, [{ sleep: 0 }], options());
  expect(next.url).toBe('about:blank');
});
