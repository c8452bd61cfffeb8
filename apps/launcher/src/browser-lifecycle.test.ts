import { join } from 'node:path';
import { FIXTURE_INDEX_TITLE, type FixtureSite, startFixtureSite } from '@fleet/testing';
import { remote } from 'webdriverio';
import type { RunningLauncher } from './launcher.js';
import { chromiumsUsing, launch, portClosed, TestClient, tempDataDir } from './test-support.js';

// Real Chromium, real chromedriver, WebdriverIO attaching to the port the launcher answers.

type Browser = Awaited<ReturnType<typeof remote>>;

let data: ReturnType<typeof tempDataDir>;
let launcher: RunningLauncher;
let client: TestClient;
let site: FixtureSite;
const sessions: Browser[] = [];
const started = new Set<string>();

function attach(port: string | number, chromeOptions?: Record<string, unknown>): Promise<Browser> {
  return remote({
    hostname: '127.0.0.1',
    port: Number(port),
    path: '/',
    capabilities: {
      browserName: 'chrome',
      ...(chromeOptions ? { 'goog:chromeOptions': chromeOptions } : {}),
    },
    logLevel: 'warn',
    connectionRetryCount: 0,
  }).then((browser) => {
    sessions.push(browser);
    return browser;
  });
}

function forget(browser: Browser): void {
  sessions.splice(sessions.indexOf(browser), 1);
}

async function detach(browser: Browser): Promise<void> {
  forget(browser);
  await browser.deleteSession();
}

async function start(profileId: string) {
  const answer = await client.start(profileId);
  if (answer.http === 200) started.add(profileId);
  return answer;
}

beforeAll(async () => {
  data = tempDataDir();
  site = await startFixtureSite();
  launcher = await launch(data.dir, { maxBrowsers: 2 });
  client = new TestClient(launcher.url);
  await client.signIn();
});

// Every test leaves no session and no browser behind, even when it fails half-way.
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((browser) => browser.deleteSession().catch(() => undefined)));
  await Promise.all([...started].map((id) => client.stop(id)));
  started.clear();
});

afterAll(async () => {
  await launcher?.close();
  await site?.close();
  data?.cleanup();
});

describe('start, attach, stop', () => {
  it('binds the answered port to the profile browser; ending the session leaves it running; stop ends all', async () => {
    const id = await client.createProfile({ name: 'lifecycle' });
    const answer = await start(id);
    expect(answer.http).toBe(200);
    expect(answer.body.data).toEqual({
      id,
      browser_type: 'mimic',
      core_version: expect.any(Number),
      is_quick: false,
      port: expect.stringMatching(/^\d+$/),
    });
    const port = Number(answer.body.data.port);
    const userDataDir = join(data.dir, 'profiles', id);
    expect(chromiumsUsing(userDataDir).length).toBeGreaterThan(0);

    const browser = await attach(port);
    // The BiDi socket is offered on the front's port too, not on chromedriver's private one.
    expect(browser.capabilities.webSocketUrl).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:${port}/session/`));
    await browser.url(`${site.url}/`);
    expect(await browser.getTitle()).toBe(FIXTURE_INDEX_TITLE);
    expect(await browser.$$('.product .name').map((el) => el.getText())).toEqual([
      'Anvil',
      'Bucket',
      'Crate',
    ]);
    await browser.$('#add').click();
    expect(await browser.$('#count').getText()).toBe('1');
    await detach(browser);

    expect(await client.status(id)).toBe('browser_running');
    expect(chromiumsUsing(userDataDir).length).toBeGreaterThan(0);
    // A second session on the same port drives the same, still open, browser, even when its
    // capabilities ask for a browser of their own (the front drops binary/args).
    const again = await attach(port, { binary: '/nonexistent/chrome', args: ['--headless=old'] });
    await again.url(`${site.url}/cookie`);
    expect(await again.getTitle()).toMatch(/Fleet fixture/);

    // Stop with that session still open: stop must not depend on the client's manners.
    forget(again);
    const stop = await client.stop(id);
    started.delete(id);
    expect(stop.http).toBe(200);
    expect(stop.body.status.error_code).toBe('');
    expect(await portClosed(port)).toBe(true);
    expect(chromiumsUsing(userDataDir)).toEqual([]);
    expect(await client.status(id)).toBe('stopped');
    // Stopping a stopped profile is not an error.
    expect((await client.stop(id)).http).toBe(200);
  });

  it('keeps cookies across stop and start (the profile is persistent)', async () => {
    const id = await client.createProfile({ name: 'cookies' });
    const first = await attach((await start(id)).body.data.port);
    await first.url(`${site.url}/cookie`);
    expect(await first.$('#state').getText()).toBe('new');
    const value = await first.$('#cookie').getText();
    await detach(first);
    await client.stop(id);
    started.delete(id);

    const second = await attach((await start(id)).body.data.port);
    await second.url(`${site.url}/cookie`);
    expect(await second.$('#state').getText()).toBe('returning');
    expect(await second.$('#cookie').getText()).toBe(value);
    expect(site.visitsTo('/cookie').at(-1)?.cookie).toContain(value);
    await detach(second);
  });

  it('answers PROFILE_ALREADY_RUNNING to a second start, and MAX_BROWSERS_REACHED past the limit', async () => {
    const [a, b, c] = [
      await client.createProfile({ name: 'a' }),
      await client.createProfile({ name: 'b' }),
      await client.createProfile({ name: 'c' }),
    ];
    expect((await start(a)).http).toBe(200);
    const twice = await start(a);
    expect(twice.http).toBe(400);
    expect(twice.body).toEqual({
      status: { error_code: 'PROFILE_ALREADY_RUNNING', http_code: 400, message: expect.any(String) },
      data: null,
    });
    expect((await start(b)).http).toBe(200);
    const third = await start(c);
    expect(third.http).toBe(429);
    expect(third.headers.get('retry-after')).toBe('5');
    expect(third.body.status).toEqual({
      error_code: 'MAX_BROWSERS_REACHED',
      http_code: 429,
      message: expect.stringContaining('2 browsers'),
    });
    expect(await client.status(c)).toBe('stopped');
    await client.stop(b);
    started.delete(b);
    expect((await start(c)).http).toBe(200);
  });

  it('answers a DevTools port for automation_type=puppeteer', async () => {
    const id = await client.createProfile({ name: 'devtools' });
    const devtools = await client.start(id, 'automation_type=puppeteer');
    expect(devtools.http).toBe(200);
    started.add(id);
    const response = await fetch(`http://127.0.0.1:${devtools.body.data.port}/json/version`);
    expect(((await response.json()) as { Browser: string }).Browser).toMatch(/Chrome\/\d+/);
  });

  it('marks the profile start_browser_error when Chromium cannot start', async () => {
    const dir = tempDataDir();
    const broken = await launch(dir.dir, { chromiumPath: '/bin/false', startTimeoutMs: 5000 });
    try {
      const c = new TestClient(broken.url);
      await c.signIn();
      const id = await c.createProfile();
      const answer = await c.start(id);
      expect(answer.http).toBe(500);
      expect(answer.body.status.error_code).toBe('START_BROWSER_ERROR');
      expect(await c.status(id)).toBe('start_browser_error');
    } finally {
      await broken.close();
      dir.cleanup();
    }
  });
});
