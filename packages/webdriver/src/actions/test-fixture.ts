// Test-only: one real Chromium, the fixture site and a driver over a temporary artifact store,
// shared by the leaf actions' tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Step } from '@fleet/contracts';
import type { FleetError, RunStepsOptions, StepsOutcome } from '@fleet/core';
import { FileArtifactStore } from '../artifact-store.js';
import { startTestBrowser, type TestBrowser } from '../test-browser.js';
import { startTestSite, type TestSite } from '../test-site.js';
import { failure, runOptions } from '../test-support.js';
import { sleep } from '../waiting.js';
import { WebdriverioDriver } from '../webdriverio-driver.js';

export interface ActionFixture {
  browser: TestBrowser;
  site: TestSite;
  store: FileArtifactStore;
  /** Runs the steps in a fresh session (the browser stays up between runs). */
  run(steps: Step[], overrides?: Partial<RunStepsOptions>): Promise<StepsOutcome>;
  /** The domain error the run failed with (a test failure if it did not fail). */
  fail(steps: Step[], overrides?: Partial<RunStepsOptions>): Promise<FleetError>;
  /** Ends the session the driver keeps on the browser after a run that ended well. */
  release(): Promise<void>;
  close(): Promise<void>;
}

export async function startActionFixture(itemId = 'batch-a.0'): Promise<ActionFixture> {
  const [browser, site] = await Promise.all([startTestBrowser(), startTestSite()]);
  const dir = mkdtempSync(join(tmpdir(), 'fleet-actions-'));
  const store = new FileArtifactStore(dir);
  const driver = new WebdriverioDriver({ artifacts: store });
  const run = (steps: Step[], overrides: Partial<RunStepsOptions> = {}) =>
    driver.run(browser.endpoint, steps, runOptions(itemId, overrides));
  return {
    browser,
    site,
    store,
    run,
    fail: (steps, overrides) => failure(run(steps, overrides)),
    release: () => driver.release(browser.endpoint),
    close: async () => {
      await browser.close();
      await site.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The fixture for the tests of one file: started before them, closed after; after each test no
 * session is left once the driver's kept one is released. Its fields are there once `beforeAll` has run.
 */
export function useActionFixture(): ActionFixture {
  const fx = {} as ActionFixture;
  beforeAll(async () => {
    Object.assign(fx, await startActionFixture());
  });
  afterAll(() => fx.close?.());
  afterEach(async () => {
    // A run that failed ended its session; one that ended well left it for the next: released here.
    await fx.release?.();
    // A stopped run's DELETE waits behind an in-page wait (at most IN_PAGE_WAIT_CHUNK_MS).
    const until = Date.now() + 3_000;
    while (fx.browser?.openSessions().length > 0 && Date.now() < until) await sleep(50);
    expect(fx.browser.openSessions()).toEqual([]);
  });
  return fx;
}
