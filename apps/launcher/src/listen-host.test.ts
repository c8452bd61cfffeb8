import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE_INDEX_TITLE, type FixtureSite, startFixtureSite } from '@fleet/testing';
import { remote } from 'webdriverio';
import type { RunningLauncher } from './launcher.js';
import { launch, TestClient } from './test-support.js';

// The WebDriver ports a start answers listen where the launcher listens (LAUNCHER_HOST), so a
// worker in another container that reaches the launcher as http://launcher:45001 reaches the
// answered ports at launcher:<port> too (docker-compose.yml). 127.0.0.2 stands in for "another
// address of this host": Linux routes all of 127/8 to loopback, and a socket bound to 127.0.0.1
// refuses connections made to 127.0.0.2, while one bound to 0.0.0.0 accepts them.

const OTHER_ADDRESS = '127.0.0.2';

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

let site: FixtureSite;
const cleanups: Array<() => Promise<void> | void> = [];

/** A launcher on `host` with one started profile; answers the WebDriver port the start answered. */
async function startedProfile(host: string | undefined): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-launcher-test-'));
  // Chromium may still be flushing its profile for a moment after it exits: retry the removal.
  cleanups.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  const launcher: RunningLauncher = await launch(dir, host === undefined ? {} : { host });
  cleanups.push(() => launcher.close());
  const base = host === '0.0.0.0' ? `http://${OTHER_ADDRESS}:${launcher.port}` : launcher.url;
  const client = new TestClient(base);
  await client.signIn();
  const id = await client.createProfile({ name: 'listen host' });
  const answer = await client.start(id);
  cleanups.push(async () => {
    await client.stop(id);
  });
  expect({ http: answer.http, body: answer.body }).toMatchObject({ http: 200 }); // the body says why not
  return Number(answer.body.data.port);
}

beforeAll(async () => {
  site = await startFixtureSite();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await site?.close();
});

it('LAUNCHER_HOST=0.0.0.0: the answered WebDriver port is reachable on another address and drives the profile', async () => {
  const port = await startedProfile('0.0.0.0');
  expect(await reachable(OTHER_ADDRESS, port)).toBe(true);
  const browser = await remote({
    hostname: OTHER_ADDRESS,
    port,
    path: '/',
    capabilities: { browserName: 'chrome', 'wdio:enforceWebDriverClassic': true },
    logLevel: 'warn',
    connectionRetryCount: 0,
  });
  try {
    await browser.url(`${site.url}/`);
    expect(await browser.getTitle()).toBe(FIXTURE_INDEX_TITLE);
  } finally {
    await browser.deleteSession();
  }
});

it('default host: the answered WebDriver port stays on loopback', async () => {
  const port = await startedProfile(undefined);
  expect(await reachable('127.0.0.1', port)).toBe(true);
  expect(await reachable(OTHER_ADDRESS, port)).toBe(false);
});
