import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Step } from '@fleet/contracts';
import type { RunStepsOptions } from '@fleet/core';
import { FileArtifactStore } from './artifact-store.js';
import { startTestBrowser, type TestBrowser } from './test-browser.js';
import { INDEX_TITLE, pngSize, startTestSite, type TestSite } from './test-site.js';
import { failure, runOptions } from './test-support.js';
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

afterEach(async () => {
  // A failed run ends its session; one that ended well keeps it until released. The browser stays up.
  await driver.release(browser.endpoint);
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

test('keeps one session for runs one after another on the same endpoint; release ends it', async () => {
  await driver.release(browser.endpoint);
  const before = browser.sessions.created.length;
  for (let i = 0; i < 3; i++) {
    const outcome = await driver.run(browser.endpoint, [{ goto: `${site.url}/next` }], options());
    expect(outcome.title).toBe('Next page');
  }
  expect(browser.sessions.created.length - before).toBe(1);
  expect(browser.openSessions()).toHaveLength(1);
  expect(driver.keptSessions).toBe(1);
  await driver.release(browser.endpoint);
  expect(browser.openSessions()).toEqual([]);
  expect(driver.keptSessions).toBe(0);
});

test('keepSessions false → a new session per run, ended after it', async () => {
  const fresh = new WebdriverioDriver({ artifacts: store, keepSessions: false });
  const before = browser.sessions.created.length;
  for (let i = 0; i < 2; i++) {
    await fresh.run(browser.endpoint, [{ goto: `${site.url}/next` }], options());
    expect(browser.openSessions()).toEqual([]);
  }
  expect(browser.sessions.created.length - before).toBe(2);
});

test('a failed run ends its session; the next run opens a new one', async () => {
  await driver.run(browser.endpoint, [{ goto: `${site.url}/` }], options());
  const kept = browser.openSessions();
  expect(kept).toHaveLength(1);
  await expect(
    driver.run(browser.endpoint, [{ goto: `${site.url}/` }, { click: '#nothing-here' }], options()),
  ).rejects.toMatchObject({ code: 'SELECTOR_NOT_FOUND' });
  expect(browser.openSessions()).toEqual([]);
  expect(browser.sessions.deleted).toContain(kept[0]);
  const before = browser.sessions.created.length;
  await driver.run(browser.endpoint, [{ goto: `${site.url}/next` }], options());
  expect(browser.sessions.created.length - before).toBe(1);
});

test('a new endpoint object (the browser started again) and another step timeout each get a new session', async () => {
  await driver.run(browser.endpoint, [{ goto: `${site.url}/` }], options());
  const first = browser.openSessions();
  const again = { ...browser.endpoint };
  await driver.run(again, [{ goto: `${site.url}/` }], options());
  expect(browser.openSessions()).toHaveLength(2);
  await driver.release(again);
  expect(browser.openSessions()).toEqual(first);
  // Page-load and script timeouts are a session's: another batch's step timeout needs its own.
  await driver.run(browser.endpoint, [{ goto: `${site.url}/` }], options({ stepTimeoutMs: 7_000 }));
  expect(browser.sessions.deleted).toContain(first[0]);
  expect(browser.openSessions()).toHaveLength(1);
});

test('a kept session chromedriver no longer knows: the run starts over on a new one, nothing lost', async () => {
  await driver.run(browser.endpoint, [{ goto: `${site.url}/` }], options());
  const [kept] = browser.openSessions();
  expect(await browser.deleteSession(kept!)).toBe(200);
  const before = browser.sessions.created.length;
  const outcome = await driver.run(
    browser.endpoint,
    [{ goto: `${site.url}/` }, { extract: { name: 'heading', selector: 'h1' } }],
    options(),
  );
  expect(outcome.data).toEqual({ heading: 'Catalogue' });
  expect(browser.sessions.created.length - before).toBe(1);
});

test('a kept session chromedriver no longer knows, first step a block: not started over (it may have acted)', async () => {
  await driver.run(browser.endpoint, [{ goto: `${site.url}/` }], options());
  const [kept] = browser.openSessions();
  expect(await browser.deleteSession(kept!)).toBe(200);
  const error = await failure(
    driver.run(
      browser.endpoint,
      [{ if: { exists: 'h1' }, then: [{ extract: { name: 'h', selector: 'h1' } }] }],
      options(),
    ),
  );
  expect(error).toMatchObject({ code: 'BROWSER_UNAVAILABLE', kind: 'retryable' });
  expect(error.message).toMatch(/invalid session id/i);
  // The next run (the item's retry) opens a new session.
  const outcome = await driver.run(browser.endpoint, [{ goto: `${site.url}/next` }], options());
  expect(outcome.title).toBe('Next page');
});

test('released during a run: the session ends when the run ends', async () => {
  await driver.run(browser.endpoint, [{ goto: `${site.url}/` }], options());
  const run = driver.run(browser.endpoint, [{ sleep: 300 }], options());
  await driver.release(browser.endpoint);
  expect(browser.openSessions()).toHaveLength(1);
  await run;
  expect(browser.openSessions()).toEqual([]);
  expect(driver.keptSessions).toBe(0);
});

test('a goto and the extracts after it read the page in one script; url and title in one more at the end', async () => {
  await driver.run(browser.endpoint, [{ goto: `${site.url}/` }], options());
  const from = browser.commands.length;
  const outcome = await driver.run(
    browser.endpoint,
    [
      { goto: `${site.url}/next` },
      { extract: { name: 'heading', selector: 'h1' } },
      { extract: { name: 'all', selector: 'h1', all: true } },
      { screenshot: { name: 'shot' } },
    ],
    options(),
  );
  expect(outcome).toMatchObject({
    data: { heading: 'Next', all: ['Next'] },
    url: `${site.url}/next`,
    title: 'Next page',
  });
  expect(browser.commands.slice(from)).toEqual([
    'POST url',
    'POST execute/sync',
    'GET screenshot',
    'POST execute/sync',
  ]);
});

test('after a step that may change the page, url and title are read at the end in one script', async () => {
  await driver.run(browser.endpoint, [{ goto: `${site.url}/` }], options());
  const from = browser.commands.length;
  const outcome = await driver.run(
    browser.endpoint,
    [{ goto: `${site.url}/` }, { extract: { name: 'heading', selector: 'h1' } }, { click: '#to-next' }],
    options(),
  );
  expect(outcome).toMatchObject({
    data: { heading: 'Catalogue' },
    url: `${site.url}/next`,
    title: 'Next page',
  });
  const commands = browser.commands.slice(from);
  expect(commands.at(-1)).toBe('POST execute/sync');
  expect(commands).not.toContain('GET url');
  expect(commands).not.toContain('GET title');
});

test('waitFor waits in the page: one script, no findElements polling', async () => {
  await driver.run(browser.endpoint, [{ goto: `${site.url}/next` }], options());
  const from = browser.commands.length;
  const outcome = await driver.run(
    browser.endpoint,
    [{ goto: `${site.url}/` }, { waitFor: { selector: '#slot #late', timeoutMs: 5_000 } }],
    options(),
  );
  expect(outcome.url).toBe(`${site.url}/`);
  const during = browser.commands.slice(from);
  // #late comes ~400 ms after the load: polling would have sent findElements about four times.
  expect(during.filter((c) => c === 'POST execute/async')).toHaveLength(1);
  expect(during.filter((c) => c === 'POST elements')).toHaveLength(0);
});

test('waitFor with a selector the page refuses fails as WebDriver says (STEP_FAILED)', async () => {
  const error = await failure(
    driver.run(browser.endpoint, [{ goto: `${site.url}/` }, { waitFor: { selector: '##bad' } }], options()),
  );
  expect(error.code).toBe('STEP_FAILED');
  expect(error.message).toContain('invalid selector');
  expect(error.details[0]).toMatchObject({ step: 1, kind: 'waitFor' });
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
