import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Step } from '@fleet/contracts';
import { FileArtifactStore } from './artifact-store.js';
import { startTestBrowser, type TestBrowser } from './test-browser.js';
import { startTestSite, type TestSite } from './test-site.js';
import { runOptions } from './test-support.js';
import { WebdriverioDriver } from './webdriverio-driver.js';

// The HTTP status of the pages a goto lands on reaches the caller (RunStepsOptions.onPageStatus):
// a site answering 429 or 503 slows its own starts down fleet-wide (README "Sharing a fleet").
// Real Chromium: the status comes from the page's navigation timing.

let browser: TestBrowser;
let site: TestSite;
let dir: string;
let driver: WebdriverioDriver;

beforeAll(async () => {
  [browser, site] = await Promise.all([startTestBrowser(), startTestSite()]);
  dir = mkdtempSync(join(tmpdir(), 'fleet-status-'));
  driver = new WebdriverioDriver({ artifacts: new FileArtifactStore(dir) });
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function statuses(steps: Step[]): Promise<number[]> {
  const seen: number[] = [];
  const outcome = await driver.run(browser.endpoint, steps, {
    ...runOptions('status:1'),
    onPageStatus: (status) => seen.push(status),
  });
  expect(outcome.url).not.toBeNull();
  return seen;
}

test('tells the status of each page a goto lands on, fused reads or not', async () => {
  // A goto followed by extracts lands through the fused read; a lone goto through its own.
  expect(
    await statuses([
      { goto: `${site.url}/status?code=429` },
      { extract: { name: 'h', selector: '#heading' } },
      { goto: `${site.url}/status?code=503` },
      { screenshot: { name: 's' } },
      { goto: `${site.url}/` },
    ]),
  ).toEqual([429, 503, 200]);
});
