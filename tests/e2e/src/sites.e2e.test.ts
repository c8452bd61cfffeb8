/**
 * Politeness per site across worker processes (issue 19, README "Sharing a fleet"): a batch with
 * `perSite.maxConcurrent` 3, four worker processes of 2 slots each, real Chromium: the site's own
 * log never sees a 4th page at once, and every item completes.
 */
import { createServer } from 'node:http';
import { listenOnLoopback } from '@fleet/testing';
import { Fleet } from './harness.js';

const ITEMS = 16;
const HOLD_MS = 400;

let fleet: Fleet;
let site: { port: number; close(): Promise<void> };
/** Pages being answered now, and the most at once. */
const pages = { now: 0, most: 0, served: 0 };

beforeAll(async () => {
  site = await listenOnLoopback(
    createServer((req, res) => {
      if (!req.url?.startsWith('/page/')) {
        res.writeHead(404).end();
        return;
      }
      pages.now++;
      pages.most = Math.max(pages.most, pages.now);
      setTimeout(() => {
        pages.now--;
        pages.served++;
        res.writeHead(200, { 'content-type': 'text/html' }).end(`<title>${req.url}</title><h1>ok</h1>`);
      }, HOLD_MS);
    }),
  );
  fleet = await Fleet.start({ profiles: 6 });
}, 60_000);

afterAll(async () => {
  await fleet?.close();
  await site?.close();
});

it('never has more than perSite.maxConcurrent pages of a site open at once across 4 worker processes', async () => {
  const allowedTargets = [`127.0.0.1:${fleet.site.port}`, `127.0.0.1:${site.port}`];
  for (let w = 0; w < 4; w++) fleet.spawnWorker({ workerConcurrency: 2, allowedTargets });
  const batchId = await fleet.submit(
    [{ goto: `http://127.0.0.1:${site.port}/page/{{i}}` }, { extract: { name: 'h1', selector: 'h1' } }],
    Array.from({ length: ITEMS }, (_, i) => ({ i })),
    { perSite: { maxConcurrent: 3 } },
  );
  await fleet.waitForBatch(batchId, 180_000);
  const results = await fleet.resultsOf(batchId, ITEMS);
  expect(results.map((r) => r?.state)).toEqual(Array(ITEMS).fill('completed'));
  // That waiting spends no attempt is checked where no cold start can fail an attempt on its own
  // (apps/worker sites.test.ts: a queue of 1 attempt); here a slow Chromium start may retry.
  expect(pages.served).toBeGreaterThanOrEqual(ITEMS);
  expect(pages.most).toBeLessThanOrEqual(3);
  expect(pages.most).toBeGreaterThanOrEqual(2); // the workers did contend for the site
}, 240_000);
