import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Step } from '@fleet/contracts';
import type { RunStepsOptions } from '@fleet/core';
import { FileArtifactStore } from './artifact-store.js';
import { startTestBrowser, type TestBrowser } from './test-browser.js';
import { INDEX_TITLE, pngSize, startTestSite, type TestSite } from './test-site.js';
import { runOptions } from './test-support.js';
import { WebdriverioDriver } from './webdriverio-driver.js';

let browser: TestBrowser;
let site: TestSite;
let dir: string;
let store: FileArtifactStore;
let driver: WebdriverioDriver;

const options = (overrides: Partial<RunStepsOptions> = {}) => runOptions('batch-1:0', overrides);

beforeAll(async () => {
  [browser, site] = await Promise.all([startTestBrowser(), startTestSite()]);
  dir = mkdtempSync(join(tmpdir(), 'fleet-artifacts-'));
  store = new FileArtifactStore(dir);
  driver = new WebdriverioDriver({ artifacts: store });
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  // Every run ends its session, whatever happened; the browser stays up for the next one.
  expect(browser.openSessions()).toEqual([]);
  expect(browser.browserRunning()).toBe(true);
});

test('every step kind, with its result in data, artifacts, url and title', async () => {
  const steps: Step[] = [
    { goto: `${site.url}/` },
    { extract: { name: 'heading', selector: 'h1' } },
    { extract: { name: 'items', selector: 'li.item', all: true } },
    { extract: { name: 'firstHref', selector: 'a.link', attr: 'href' } },
    { extract: { name: 'hrefs', selector: 'a.link', attr: 'href', all: true } },
    { extract: { name: 'missing', selector: '.nothing' } },
    { extract: { name: 'missingAll', selector: '.nothing', all: true } },
    { extract: { name: 'noAttr', selector: 'h1', attr: 'data-none' } },
    { type: { selector: '#name', text: 'Ada' } },
    { click: '#greet' },
    { assertText: { selector: '#greeting', contains: 'Hello, Ada' } },
    { waitFor: { selector: '#late', timeoutMs: 3_000 } },
    { extract: { name: 'late', selector: '#late' } },
    { screenshot: { name: 'catalogue' } },
    { sleep: 50 },
    { click: '#to-next' },
    { assertText: { selector: 'h1', contains: 'Next' } },
  ];
  const outcome = await driver.run(browser.endpoint, steps, options());
  expect(outcome.data).toEqual({
    heading: 'Catalogue',
    items: ['Alpha', 'Beta', 'Gamma'],
    firstHref: '/next',
    hrefs: ['/next', 'https://example.com/x'],
    missing: null,
    missingAll: [],
    noAttr: null,
    late: 'I came late',
  });
  expect(outcome.url).toBe(`${site.url}/next`);
  expect(outcome.title).toBe('Next page');
  expect(Object.keys(outcome.artifacts)).toEqual(['catalogue']);
  const stored = await store.get(outcome.artifacts.catalogue!);
  expect(stored).toMatchObject({ itemId: 'batch-1:0', name: 'catalogue' });
  const size = pngSize(stored!.bytes);
  expect(size.width).toBeGreaterThan(0);
  expect(size.height).toBeGreaterThan(0);
});

test('type replaces the value (setValue), and text arrives as given: {{var}} is not the driver’s job', async () => {
  const steps: Step[] = [
    { goto: `${site.url}/` },
    { type: { selector: '#name', text: 'first' } },
    { type: { selector: '#name', text: '{{name}}' } },
    { click: '#greet' },
    { extract: { name: 'greeting', selector: '#greeting' } },
  ];
  const outcome = await driver.run(browser.endpoint, steps, options());
  expect(outcome.data).toEqual({ greeting: 'Hello, {{name}}' });
  expect(outcome.title).toBe(INDEX_TITLE);
});

test('a redirect is followed; url is where it ended', async () => {
  const outcome = await driver.run(browser.endpoint, [{ goto: `${site.url}/redirect?to=/next` }], options());
  expect(outcome.url).toBe(`${site.url}/next`);
  expect(outcome.title).toBe('Next page');
});

test('runs one after another on the same browser, each in a fresh session', async () => {
  const before = browser.sessions.created.length;
  for (let i = 0; i < 3; i++) {
    const outcome = await driver.run(browser.endpoint, [{ goto: `${site.url}/next` }], options());
    expect(outcome.title).toBe('Next page');
  }
  expect(browser.sessions.created.length - before).toBe(3);
});

test('an extract named like an Object.prototype key stays plain data', async () => {
  const outcome = await driver.run(
    browser.endpoint,
    [{ goto: `${site.url}/` }, { extract: { name: '__proto__', selector: 'h1' } }],
    options(),
  );
  expect(Object.getPrototypeOf(outcome.data)).toBe(Object.prototype);
  expect(Object.getOwnPropertyDescriptor(outcome.data, '__proto__')?.value).toBe('Catalogue');
});
