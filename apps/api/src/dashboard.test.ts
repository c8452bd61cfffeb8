import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BatchView, type ItemResult, itemId } from '@fleet/contracts';
import { errorSignature } from '@fleet/core';
import { type RunningNotifier, startNotifier } from '@fleet/notifier';
import { testSettings } from '@fleet/notifier/testing';
import {
  RedisEventStream,
  RedisEvidencePolicy,
  RedisProviderHealth,
  RedisResultStore,
  RedisScenarioRegistry,
} from '@fleet/redis';
import { freePort, sleep } from '@fleet/testing';
import { remote } from 'webdriverio';
import { dashboardPage } from './dashboard/dashboard-page.js';
import {
  ACME_KEY,
  API_KEYS,
  auth,
  batchBody,
  json,
  OPS_KEY,
  OTHER_KEY,
  startTestApi,
  type TestApi,
} from './test-app.js';

// The dashboard page (GET /) and its scripts through inject, then the real thing: the API
// listening, a notifier in-process, headless Chromium through WebdriverIO (Debian's chromium and
// chromedriver, nothing downloaded), while the test plays the worker (records results and
// publishes the events a worker would).

const ARTIFACTS = join(__dirname, '..', 'test-artifacts');
const CHROMIUM = '/usr/bin/chromium';
const CHROMEDRIVER = '/usr/bin/chromedriver';
const WAIT_MS = 15_000;

type Browser = Awaited<ReturnType<typeof remote>>;

describe('dashboard page (inject)', () => {
  let t: TestApi;
  const notifierUrl = 'https://notifier.example.test:8443/?x="><script>alert(1)</script>';
  beforeAll(async () => {
    t = await startTestApi({ notifierPublicUrl: notifierUrl });
  });
  afterAll(() => t.close());

  it("GET / is public HTML with a strict CSP, pointing at the notifier's origin", async () => {
    const res = await t.app.inject({ url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toContain(
      "connect-src 'self' https://notifier.example.test:8443 wss://notifier.example.test:8443",
    );
    expect(csp).toContain("form-action 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['cache-control']).toBe('no-store');
    // The page connects to the notifier's origin (a path would be taken for a Socket.IO namespace).
    expect(res.body).toContain('data-notifier-url="https://notifier.example.test:8443"');
    expect(res.body).not.toContain('<script>alert');
    // Nothing from elsewhere: every src/href is a path on this API (or the empty data: icon).
    const refs = [...res.body.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);
    expect(
      refs.filter((r) => !r.startsWith('/') && r !== 'data:,' && !r.startsWith('https://notifier.')),
    ).toEqual([]);
    expect(res.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
  });

  it('escapes what it puts in the HTML', () => {
    const html = dashboardPage({ notifierUrl: 'http://n.test/"><script>alert(1)</script>', refreshMs: 5000 });
    expect(html).toContain(
      'data-notifier-url="http://n.test/&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;"',
    );
    expect(html).not.toContain('<script>alert');
  });

  it('serves its script and the Socket.IO client bundle without a key', async () => {
    const script = await t.app.inject({ url: '/dashboard/dashboard.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toContain('sessionStorage');
    expect(script.body).not.toContain('innerHTML');
    const io = await t.app.inject({ url: '/dashboard/socket.io.min.js' });
    expect(io.statusCode).toBe(200);
    expect(io.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(io.body).toContain('Socket.IO');
    expect(io.body.length).toBeGreaterThan(20_000);
  });
});

/** chromedriver on a loopback port of its choosing (`--port=0` prints it). */
async function startChromedriver(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(CHROMEDRIVER, ['--port=0'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.resume();
  const deadline = Date.now() + 15_000;
  for (;;) {
    const match = /started successfully on port (\d+)/.exec(output);
    if (match) return { child, port: Number(match[1]) };
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`chromedriver exited: ${output}`);
    if (Date.now() > deadline) throw new Error(`chromedriver did not start: ${output}`);
    await sleep(25);
  }
}

function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
  return exited;
}

describe('dashboard in headless Chromium', () => {
  let t: TestApi;
  let notifier: RunningNotifier;
  let driver: { child: ChildProcess; port: number };
  let browser: Browser;
  let profileDir: string;
  let apiUrl: string;
  let acmeBatch: BatchView;
  let otherBatch: BatchView;

  beforeAll(async () => {
    const notifierPort = await freePort();
    // A long page refresh: the bar can only move through live events.
    t = await startTestApi(
      { notifierPublicUrl: `http://127.0.0.1:${notifierPort}`, fairShare: true },
      { dashboardRefreshMs: 120_000 },
    );
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    apiUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const silent = { debug() {}, info() {}, warn() {}, error() {} };
    notifier = await startNotifier(
      testSettings({ prefix: t.prefix, notifierPort, apiKeys: API_KEYS, corsOrigins: [apiUrl] }), // CORS: the dashboard's origin
      silent,
      { host: '127.0.0.1' },
    );

    // The pool: 5 profiles, one leased, one quarantined.
    for (let i = 1; i <= 5; i++) await t.profiles.register({ id: `p${i}`, pool: 'default' });
    await t.profiles.quarantine('p5', 'test', null);
    expect(await t.profiles.acquire({ pool: 'default' }, 'test-worker', 'token-1', 600_000)).not.toBeNull();

    const submit = async (key: string, name: string, items: number) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/batches',
        headers: auth(key),
        payload: batchBody(items, { name }),
      });
      expect(res.statusCode).toBe(202);
      return json<BatchView>(res);
    };
    acmeBatch = await submit(ACME_KEY, 'Nightly <b>prices</b> & stock', 4);
    otherBatch = await submit(OTHER_KEY, 'Another tenant', 2);

    driver = await startChromedriver();
    profileDir = mkdtempSync(join(tmpdir(), 'fleet-dashboard-chromium-'));
    browser = await remote({
      hostname: '127.0.0.1',
      port: driver.port,
      path: '/',
      logLevel: 'warn',
      connectionRetryCount: 0,
      capabilities: {
        ...{ 'goog:loggingPrefs': { browser: 'ALL' } }, // chromedriver's (WebdriverIO's types lack it)
        browserName: 'chrome',
        'wdio:enforceWebDriverClassic': true,
        'goog:chromeOptions': {
          binary: CHROMIUM,
          args: [
            '--headless=new',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-dev-shm-usage',
            '--disable-background-networking',
            '--disable-component-update',
            '--no-first-run',
            '--disable-sync',
            '--password-store=basic',
            '--window-size=1280,900',
            `--user-data-dir=${profileDir}`,
          ],
        },
      },
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.deleteSession().catch(() => undefined);
    if (driver) await stopProcessGroup(driver.child);
    await notifier?.close();
    await t?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  /** Waits (with a deadline) until `read` returns `expected`; fails with the last value seen. */
  async function waitForValue<T>(what: string, read: () => Promise<T>, expected: T): Promise<void> {
    let last: T | undefined;
    try {
      await browser.waitUntil(
        async () => {
          last = await read();
          return last === expected;
        },
        { timeout: WAIT_MS, interval: 50 },
      );
    } catch {
      throw new Error(`${what}: expected ${JSON.stringify(expected)}, last saw ${JSON.stringify(last)}`);
    }
  }

  const textOf = async (selector: string) => {
    const element = await browser.$(selector);
    return (await element.isExisting()) ? await element.getText() : null;
  };

  async function logIn(key: string): Promise<void> {
    await browser.url(`${apiUrl}/`);
    await browser.execute('window.sessionStorage.clear()');
    await browser.url(`${apiUrl}/`);
    await (await browser.$('#key')).setValue(key);
    await (await browser.$('#login-button')).click();
  }

  async function logOut(): Promise<void> {
    await (await browser.$('#logout')).click();
    await waitForValue('the login form is back', async () => (await browser.$('#login')).isDisplayed(), true);
    expect(await browser.execute('return window.sessionStorage.length')).toBe(0);
  }

  it('an admin key sees a batch move to 100% live, and the pool table', async () => {
    await logIn(OPS_KEY);
    const row = `tr[data-batch-id="${acmeBatch.id}"]`;
    await waitForValue('the batch at 0%', () => textOf(`${row} .pct`), '0%');
    await waitForValue(
      'the other tenant’s batch is listed for admin',
      async () => {
        return (await browser.$(`tr[data-batch-id="${otherBatch.id}"]`)).isExisting();
      },
      true,
    );
    await waitForValue(
      'subscribed to every batch',
      () => browser.$('#live').getAttribute('data-state'),
      'on',
    );
    expect(await textOf('#who')).toBe('admin key · every batch');
    // Names are text, never markup.
    expect(await textOf(`${row} .name`)).toBe('Nightly <b>prices</b> & stock');
    expect(await browser.$$(`${row} .name b`).length).toBe(0);

    const pool = 'tr[data-pool="default"]';
    await waitForValue('available', () => textOf(`${pool} td[data-col="available"]`), '3');
    expect(await textOf(`${pool} td[data-col="coolingDown"]`)).toBe('0');
    expect(await textOf(`${pool} td[data-col="leased"]`)).toBe('1');
    expect(await textOf(`${pool} td[data-col="quarantined"]`)).toBe('1');
    expect(await textOf(`${pool} td[data-col="registered"]`)).toBe('5');
    // Schedules are listed with when they run (a name is text, never markup).
    const saved = await t.app.inject({
      method: 'POST',
      url: '/v1/schedules',
      headers: auth(OPS_KEY),
      payload: {
        id: 'nightly',
        cron: '0 3 * * *',
        timezone: 'Europe/Paris',
        batch: { pool: 'default', steps: [{ goto: 'https://shop.test/' }], items: [{}] },
      },
    });
    expect(saved.statusCode).toBe(201);
    await browser.refresh();
    const schedule = 'tr[data-schedule="ops/nightly"]';
    await waitForValue('the schedule listed', async () => (await browser.$(schedule)).isExisting(), true);
    expect(await textOf(`${schedule} td[data-col="when"]`)).toBe('0 3 * * * (Europe/Paris)');
    expect(await textOf(`${schedule} td[data-col="runs"]`)).toBe('0');
    await t.app.inject({ method: 'DELETE', url: '/v1/schedules/nightly', headers: auth(OPS_KEY) });
    // Sharing: a site with an admin's rule (shown after the refresh below).
    await t.app.inject({
      method: 'PUT',
      url: '/v1/admin/sites/shop.test',
      headers: auth(OPS_KEY),
      payload: { maxConcurrent: 3 },
    });
    // A launcher host the workers cannot reach is named under the pools (admin keys only).
    await new RedisProviderHealth(t.redis, t.prefix).markDown(
      'http://10.231.0.13:45001',
      'ECONNREFUSED <b>',
      'w1',
    );
    await browser.refresh();
    const down = '#hosts-down li[data-provider="http://10.231.0.13:45001"]';
    await waitForValue('the host shown down', async () => (await browser.$(down)).isExisting(), true);
    expect(await textOf(down)).toMatch(
      /^http:\/\/10\.231\.0\.13:45001 unreachable since \S+: ECONNREFUSED <b>$/,
    );
    await new RedisProviderHealth(t.redis, t.prefix).markUp('http://10.231.0.13:45001');
    // Each key's items under fair share (no worker here: all still waiting), and the throttled site.
    expect(await textOf('#sharing tr[data-tenant="acme"] td[data-col="waiting"]')).toBe(
      String(acmeBatch.total),
    );
    expect(await textOf('#sharing tr[data-tenant="acme"] td[data-col="running"]')).toBe('0');
    expect(await textOf('#sharing tr[data-site="shop.test"] td[data-col="max"]')).toBe('3');

    // The key is in this tab's sessionStorage only, never in the URL.
    expect(await browser.execute("return window.sessionStorage.getItem('fleet.dashboard.apiKey')")).toBe(
      OPS_KEY,
    );
    expect(await browser.execute('return window.localStorage.length')).toBe(0);
    expect(await browser.getUrl()).toBe(`${apiUrl}/`);

    // The worker's part: record each item, then publish its event with the batch's progress.
    const results = new RedisResultStore(t.redis, t.prefix, { retentionSec: 3600 });
    const events = new RedisEventStream(t.redis, t.prefix);
    const batchId = acmeBatch.id;
    const expected = ['25%', '50%', '75%', '100%'];
    for (let index = 0; index < 4; index++) {
      const failed = index === 3;
      const result: ItemResult = {
        state: failed ? 'failed' : 'completed',
        data: failed ? {} : { title: `page ${index}` },
        artifacts: {},
        url: failed ? null : `https://example.test/p${index}`,
        title: failed ? null : `page ${index}`,
        profileId: 'p1',
        attempts: 1,
        durationMs: 120,
        ...(failed ? { error: { code: 'ASSERTION_FAILED', message: 'no price on the page', step: 1 } } : {}),
        finishedAt: Date.now(),
      };
      const outcome = await results.record({ batchId, index }, 0, result);
      expect(outcome.status).toBe('recorded');
      const { total, completed, failed: failedCount } = outcome.batch;
      const id = itemId(batchId, index);
      await events.publish(
        {
          type: failed ? 'item.failed' : 'item.completed',
          batchId,
          itemId: id,
          profileId: 'p1',
          at: Date.now(),
          data: { attempts: 1, durationMs: 120, progress: { total, completed, failed: failedCount } },
        },
        `${id}:done`,
      );
      await waitForValue(`the bar after item ${index}`, () => textOf(`${row} .pct`), expected[index]);
    }
    await events.publish(
      { type: 'batch.completed', batchId, at: Date.now(), data: { total: 4, completed: 3, failed: 1 } },
      `${batchId}:completed`,
    );
    await waitForValue('the batch is completed', () => textOf(`${row} .badge`), 'completed');
    expect(await browser.$(`${row} .bar`).getAttribute('aria-valuenow')).toBe('100');
    expect(await browser.$(`${row} .bar .ok`).getAttribute('style')).toContain('width: 75%');
    expect(await browser.$(`${row} .bar .failed`).getAttribute('style')).toContain('width: 25%');
    expect(await textOf(`${row} .count-completed`)).toBe('3');
    expect(await textOf(`${row} .count-failed`)).toBe('1');

    // Nothing the page needed was blocked (a CSP violation is logged as an error) or failed.
    const logs = (await browser.getLogs('browser')) as { level: string; message: string }[];
    expect(logs.filter((entry) => entry.level === 'SEVERE').map((entry) => entry.message)).toEqual([]);

    mkdirSync(ARTIFACTS, { recursive: true });
    await browser.saveScreenshot(join(ARTIFACTS, 'dashboard.png'));

    // A reload keeps the tab logged in (sessionStorage) and reads the same state from the API.
    await browser.refresh();
    await waitForValue('the batch after a reload', () => textOf(`${row} .pct`), '100%');
    expect(await textOf(`${row} .badge`)).toBe('completed');
    await logOut();
  });

  it('a user key sees only its own batches', async () => {
    await logIn(OTHER_KEY);
    await waitForValue(
      'its own batch',
      () => textOf(`tr[data-batch-id="${otherBatch.id}"] .name`),
      'Another tenant',
    );
    expect(await browser.$$('#batches tbody tr').length).toBe(1);
    expect(await browser.$(`tr[data-batch-id="${acmeBatch.id}"]`).isExisting()).toBe(false);
    await waitForValue('connected as a user key', () => textOf('#who'), 'user key · your batches');
    // Pool counts are for every key.
    expect(await textOf('tr[data-pool="default"] td[data-col="registered"]')).toBe('5');
    await logOut();
  });

  it('a scenario batch no live worker can run says so, in its row and under the pools', async () => {
    // A worker advertised `lonely@1` and died: its heartbeat lapses after 200 ms.
    await new RedisScenarioRegistry(t.redis, t.prefix, { ttlMs: 200 }).advertise('w-gone', [
      { name: 'lonely', version: '1', inputSchema: { type: 'object', properties: {} } },
    ]);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: auth(OPS_KEY),
      payload: { name: 'Scenario batch', scenario: 'lonely', items: [{}, {}] },
    });
    expect(res.statusCode).toBe(202);
    const id = json<BatchView>(res).id;
    await sleep(300);
    await logIn(OPS_KEY);
    const meta = `tr[data-batch-id="${id}"] .id`;
    await waitForValue(
      'the waiting batch',
      async () => ((await browser.$(meta).isExisting()) ? textOf(meta) : ''),
      `${id} · ops · default · lonely@1 · waiting: no live worker has lonely@1`,
    );
    const waiting = '#hosts-down li[data-scenario="lonely@1"]';
    await waitForValue(
      'the scenario under the pools',
      async () => (await browser.$(waiting)).isExisting(),
      true,
    );
    expect(await textOf(waiting)).toBe('2 items of scenario lonely@1 wait: no live worker has it');
    await logOut();
  });

  it("a batch's failures are one click away, with their evidence fetched with the key", async () => {
    const item = `${otherBatch.id}.1`;
    const put = (text: string, name: string, type: string) =>
      t.artifacts.put(Buffer.from(text), { itemId: item, name, type });
    const consoleLines = 'INFO console-api "hello" 42\n';
    const evidence = {
      screenshot: await put('\x89PNG', 'failure', 'image/png'),
      html: await put('<script>alert(1)</script>', 'failure-html', 'text/html; charset=utf-8'),
      console: await put(consoleLines, 'failure-console', 'text/plain; charset=utf-8'),
      url: 'https://shop.example.test/cart',
    };
    const message = 'no element matched "#buy" within 5000 ms (step 2, click)';
    const failed: ItemResult = {
      state: 'failed',
      data: {},
      artifacts: { failure: evidence.screenshot },
      url: null,
      title: null,
      profileId: 'p1',
      attempts: 1,
      durationMs: 30,
      finishedAt: Date.now(),
      error: { code: 'SELECTOR_NOT_FOUND', message, step: 2, path: 'steps[2].do[0]#1', evidence },
    };
    await new RedisResultStore(t.redis, t.prefix).record({ batchId: otherBatch.id, index: 1 }, 0, failed);
    const path = 'steps[2].do[0]#1';
    await new RedisEvidencePolicy(t.redis, t.prefix, { perError: 3, retentionSec: 600 }).take(otherBatch.id, {
      signature: errorSignature('SELECTOR_NOT_FOUND', path, message),
      code: 'SELECTOR_NOT_FOUND',
      path,
      message,
      itemId: item,
    });

    await logIn(OTHER_KEY);
    const row = `tr[data-batch-id="${otherBatch.id}"]`;
    await waitForValue('the failed count', () => textOf(`${row} .count-failed`), '1');
    await (await browser.$(row)).click();
    await waitForValue('the failures card', async () => (await browser.$('#failures')).isDisplayed(), true);
    expect(await textOf('#failure-kinds li')).toBe(
      `SELECTOR_NOT_FOUND at ${path}: 1 failed (1 with evidence) — ${message}`,
    );
    const cells = await browser.$$('#failed-items tbody tr[data-item="1"] td').map((cell) => cell.getText());
    expect(cells.slice(0, 4)).toEqual(['1', 'SELECTOR_NOT_FOUND', path, message]);
    expect(cells[4]).toContain(evidence.url);
    const buttons = await browser
      .$$('#failed-items .evidence button')
      .map(async (b) => [await b.getText(), await b.getAttribute('data-artifact')]);
    expect(buttons).toEqual([
      ['screenshot', `/v1/artifacts/${evidence.screenshot}`],
      ['page HTML', `/v1/artifacts/${evidence.html}`],
      ['console', `/v1/artifacts/${evidence.console}`],
    ]);
    // A click fetches the artifact with the key and saves it (as bytes, never opened as a page).
    await browser.execute(`window.__saved = [];
      const create = URL.createObjectURL.bind(URL);
      URL.createObjectURL = (blob) => { blob.text().then((t) => window.__saved.push([blob.type, t])); return create(blob); };`);
    await (await browser.$(`#failed-items .evidence button[data-artifact$="${evidence.console}"]`)).click();
    await waitForValue(
      'the console lines saved',
      async () => JSON.stringify(await browser.execute('return window.__saved')),
      JSON.stringify([['application/octet-stream', consoleLines]]),
    );
    expect(await browser.$('#banner').isDisplayed()).toBe(false);
    await logOut();
    expect(await browser.$('#failures').isDisplayed()).toBe(false);
  });

  it('a bad key shows an error on the form and is not kept', async () => {
    await logIn('not-a-valid-key-0123456789');
    await waitForValue(
      'the form error',
      () => textOf('#login-error'),
      'That key is not valid (unknown or revoked).',
    );
    expect(await browser.$('#app').isDisplayed()).toBe(false);
    expect(await browser.execute('return window.sessionStorage.length')).toBe(0);
    expect(await browser.getUrl()).toBe(`${apiUrl}/`);
  });
});
