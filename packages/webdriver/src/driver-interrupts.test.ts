import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RetryableError, type RunStepsOptions } from '@fleet/core';
import { freePort } from '@fleet/testing';
import { FileArtifactStore } from './artifact-store.js';
import { IN_PAGE_WAIT_CHUNK_MS } from './page-queries.js';
import { startTestBrowser, type TestBrowser } from './test-browser.js';
import { startTestSite, type TestSite } from './test-site.js';
import { failure, runOptions } from './test-support.js';
import { sleep } from './waiting.js';
import { WebdriverioDriver } from './webdriverio-driver.js';

let browser: TestBrowser;
let site: TestSite;
let dir: string;
let driver: WebdriverioDriver;

const options = (overrides: Partial<RunStepsOptions> = {}) => runOptions('batch-3:1', overrides);

/** Resolves with the id of the next session the driver opens on the test browser. */
async function nextSession(): Promise<string> {
  const index = browser.sessions.created.length;
  for (;;) {
    const id = browser.sessions.created[index];
    if (id !== undefined) return id;
    await sleep(10);
  }
}

/** Runs `steps`, aborts `afterMs` after the session opened, answers the error and abort-to-error ms. */
async function abortedRun(steps: Parameters<WebdriverioDriver['run']>[1], afterMs: number) {
  const controller = new AbortController();
  const opened = nextSession();
  const run = failure(driver.run(browser.endpoint, steps, options({ signal: controller.signal })));
  await opened;
  await sleep(afterMs);
  const abortedAt = Date.now();
  controller.abort(new Error('lease lost'));
  const error = await run;
  return { error, ms: Date.now() - abortedAt };
}

async function stillUsable(): Promise<void> {
  const outcome = await driver.run(browser.endpoint, [{ goto: `${site.url}/next` }], options());
  expect(outcome.title).toBe('Next page');
}

beforeAll(async () => {
  [browser, site] = await Promise.all([startTestBrowser(), startTestSite()]);
  dir = mkdtempSync(join(tmpdir(), 'fleet-artifacts-'));
  driver = new WebdriverioDriver({ artifacts: new FileArtifactStore(dir) });
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await driver.release(browser.endpoint);
  // Session ends are sent without waiting for chromedriver's answer: give them a moment to land.
  const until = Date.now() + 3_000;
  while (browser.openSessions().length > 0 && Date.now() < until) await sleep(50);
  expect(browser.openSessions()).toEqual([]);
  expect(browser.browserRunning()).toBe(true);
});

// Bounds on "promptly" are generous (this machine has 2 cores and other suites run beside these):
// each is far below what the step would have taken without the interrupt, which is the point.
const PROMPTLY_MS = 5_000;

test('abort during a long sleep → ABORTED at once, session ended, browser still usable', async () => {
  const { error, ms } = await abortedRun([{ sleep: 30_000 }], 1_500);
  expect(error.code).toBe('ABORTED');
  expect(error.kind).toBe('non-retryable');
  expect(error.message).toContain('lease lost');
  expect(error.details[0]).toMatchObject({ step: 0, kind: 'sleep' });
  expect(error.details[0]!.artifactId).toBeUndefined();
  expect(ms).toBeLessThan(PROMPTLY_MS);
  expect(browser.openSessions()).toEqual([]);
  await stillUsable();
});

test('abort during a waitFor → ABORTED at once, session ended once its in-page wait is over, browser still usable', async () => {
  const { error, ms } = await abortedRun([{ waitFor: { selector: '#never', timeoutMs: 30_000 } }], 1_500);
  expect(error.code).toBe('ABORTED');
  expect(error.details[0]).toMatchObject({ step: 0, kind: 'waitFor' });
  expect(ms).toBeLessThan(PROMPTLY_MS);
  // chromedriver serves the DELETE after the wait's script, which lasts at most IN_PAGE_WAIT_CHUNK_MS.
  const end = Date.now() + IN_PAGE_WAIT_CHUNK_MS + 2_000;
  while (browser.openSessions().length > 0 && Date.now() < end) await sleep(50);
  expect(browser.openSessions()).toEqual([]);
  await stillUsable();
});

test('abort during a slow navigation → ABORTED at once; the session ends when the page gives up', async () => {
  const { error, ms } = await abortedRun([{ goto: `${site.url}/slow?ms=9000` }], 200);
  expect(error.code).toBe('ABORTED');
  expect(error.details[0]).toMatchObject({ step: 0, kind: 'goto' });
  expect(ms).toBeLessThan(PROMPTLY_MS);
  // chromedriver serves the DELETE once the navigation is over.
  const end = Date.now() + 15_000;
  while (browser.openSessions().length > 0 && Date.now() < end) await sleep(50);
  await stillUsable();
});

test('a signal aborted before the run → ABORTED without opening a session', async () => {
  const before = browser.sessions.created.length;
  const error = await failure(
    driver.run(browser.endpoint, [{ sleep: 0 }], options({ signal: AbortSignal.abort() })),
  );
  expect(error.code).toBe('ABORTED');
  expect(error.details[0]).toMatchObject({ step: null, kind: null });
  expect(browser.sessions.created.length).toBe(before);
});

test('the deadline passing during a step → DEADLINE_EXCEEDED at the deadline', async () => {
  const deadlineAt = Date.now() + 2_000;
  const steps = [{ goto: `${site.url}/` }, { sleep: 30_000 }];
  const error = await failure(driver.run(browser.endpoint, steps, options({ deadlineAt })));
  expect(error.code).toBe('DEADLINE_EXCEEDED');
  expect(error.kind).toBe('non-retryable');
  expect(error.details[0]).toMatchObject({ step: 1, kind: 'sleep' });
  expect(Date.now() - deadlineAt).toBeLessThan(PROMPTLY_MS);
});

test('the session deleted behind the driver’s back → retryable BROWSER_UNAVAILABLE', async () => {
  const opened = nextSession();
  const run = failure(
    driver.run(browser.endpoint, [{ waitFor: { selector: '#never', timeoutMs: 20_000 } }], options()),
  );
  const id = await opened;
  await sleep(300);
  const deletedAt = Date.now();
  expect(await browser.deleteSession(id)).toBe(200);
  const error = await run;
  expect(error).toBeInstanceOf(RetryableError);
  expect(error.code).toBe('BROWSER_UNAVAILABLE');
  expect(error.details[0]).toMatchObject({ step: 0, kind: 'waitFor' });
  expect(Date.now() - deletedAt).toBeLessThan(PROMPTLY_MS);
});

test('nothing listening at the endpoint → BROWSER_UNAVAILABLE after bounded retries', async () => {
  const quick = new WebdriverioDriver({ artifacts: new FileArtifactStore(dir), attachRetryMs: 1_000 });
  const endpoint = { ...browser.endpoint, port: await freePort() };
  const started = Date.now();
  const error = await failure(quick.run(endpoint, [{ sleep: 0 }], options()));
  const elapsed = Date.now() - started;
  expect(error).toBeInstanceOf(RetryableError);
  expect(error.code).toBe('BROWSER_UNAVAILABLE');
  expect(error.message).toMatch(/after \d+ attempts/);
  expect(error.details[0]).toMatchObject({ step: null, kind: null });
  expect(elapsed).toBeGreaterThanOrEqual(600);
  expect(elapsed).toBeLessThan(1_000 + PROMPTLY_MS);
});

test('the deadline bounds the attach retries → DEADLINE_EXCEEDED outside any step', async () => {
  const endpoint = { ...browser.endpoint, port: await freePort() };
  const deadlineAt = Date.now() + 500;
  const error = await failure(driver.run(endpoint, [{ sleep: 0 }], options({ deadlineAt })));
  expect(error.code).toBe('DEADLINE_EXCEEDED');
  expect(error.details[0]).toMatchObject({ step: null, kind: null });
  // well before the default 5 s of attach retries would have ended
  expect(Date.now() - deadlineAt).toBeLessThan(3_000);
});

/** A TCP relay to the test browser's endpoint that starts listening only after `delayMs`. */
function lateRelay(port: number, delayMs: number): { ready: Promise<Server>; sockets: Set<Socket> } {
  const sockets = new Set<Socket>();
  const ready = sleep(delayMs).then(
    () =>
      new Promise<Server>((resolve) => {
        const server = createServer((client) => {
          const upstream = connect(browser.endpoint.port, '127.0.0.1');
          for (const s of [client, upstream]) {
            sockets.add(s);
            s.on('error', () => client.destroy());
          }
          client.pipe(upstream).pipe(client);
        });
        server.listen(port, '127.0.0.1', () => resolve(server));
      }),
  );
  return { ready, sockets };
}

test('an endpoint that starts listening a moment later is attached by the retries', async () => {
  const port = await freePort();
  const relay = lateRelay(port, 700);
  const started = Date.now();
  const late = { ...browser.endpoint, port };
  try {
    const outcome = await driver.run(late, [{ goto: `${site.url}/next` }], options());
    expect(outcome.title).toBe('Next page');
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
  } finally {
    await driver.release(late);
    const server = await relay.ready;
    for (const s of relay.sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

/**
 * A relay to the test browser that goes silent once a request `cutAt` picks passes through:
 * that request and everything after it (new connections too) get no answer, as when the browser's
 * host drops off the network mid-step.
 */
async function cuttingRelay(
  cutAt: (request: string) => boolean,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let cut = false;
  const server = createServer((client) => {
    sockets.add(client);
    client.on('error', () => undefined);
    if (cut) return; // accepted, never answered
    const upstream = connect(browser.endpoint.port, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('data', (chunk: Buffer) => {
      if (!cut && cutAt(chunk.toString('latin1'))) cut = true;
      if (!cut) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!cut) client.write(chunk);
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

test('the browser’s host going silent mid-step → retryable BROWSER_UNAVAILABLE naming the step, not STEP_FAILED', async () => {
  // Silent from the extract's script: the second one after the navigation (the goto reads where it
  // landed by script first; the sleep between keeps the extract out of that read).
  let navigated = false;
  let scripts = 0;
  const relay = await cuttingRelay((request) => {
    if (/^POST \/session\/[^/]+\/url /.test(request)) navigated = true;
    if (navigated && /^POST \/session\/[^/]+\/execute/.test(request)) scripts += 1;
    return scripts === 2;
  });
  const opened = nextSession();
  try {
    const error = await failure(
      driver.run(
        { ...browser.endpoint, port: relay.port },
        [{ goto: `${site.url}/next` }, { sleep: 0 }, { extract: { name: 'title', selector: 'h1' } }],
        options({ stepTimeoutMs: 1_500 }),
      ),
    );
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.code).toBe('BROWSER_UNAVAILABLE');
    expect(error.message).toContain('does not answer');
    expect(error.details[0]).toMatchObject({ step: 2, kind: 'extract', path: 'steps[2]' });
    // No evidence is attempted from a browser that does not answer.
    expect(error.details[0]!.artifactId).toBeUndefined();
  } finally {
    await relay.close();
    // Its DELETE went into the silence: end the session on the browser directly.
    const id = await opened;
    if (browser.openSessions().includes(id)) await browser.deleteSession(id);
  }
});
