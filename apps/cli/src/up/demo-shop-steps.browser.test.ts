import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Step } from '@fleet/contracts';
import { waitFor } from '@fleet/testing';
import { FileArtifactStore, WebdriverioDriver } from '@fleet/webdriver';
import { startTestBrowser, type TestBrowser } from '@fleet/webdriver/test-browser';
import { type DemoSite, product, startDemoSite } from './demo-site.js';

// The demo shop's login → product → checkout flow written in Fleet's step language and run by the
// worker's driver (leaf steps only: the confirmation tab is left to the `tab` step's tests): a
// select by label and by value, a checkbox, typing at a human cadence, per-item cookies read back,
// and an upload of a batch file from the artifact store, posted by the shop's multipart form.

let site: DemoSite;
let browser: TestBrowser;
let dir: string;

beforeAll(async () => {
  [site, browser] = await Promise.all([startDemoSite(0), startTestBrowser()]);
  dir = mkdtempSync(join(tmpdir(), 'fleet-demo-steps-'));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('places an order with a select, a checkbox and an uploaded batch file', async () => {
  const store = new FileArtifactStore(dir);
  const receipt = Buffer.from('%PDF-1.4 receipt of item 0\n');
  const artifactId = await store.put(receipt, {
    itemId: 'demo.files',
    name: 'receipt',
    type: 'application/pdf',
  });
  const steps: Step[] = [
    { goto: `${site.url}/login?banner=0` },
    { type: { selector: '#username', text: 'ana', delayMs: 30 } },
    { type: { selector: '#password', text: 'demo' } },
    { click: 'button#login' },
    { waitForUrl: { contains: '/account' } },
    { waitForText: { selector: '#welcome', text: 'Welcome, ana' } },
    { getCookies: { name: 'session', names: ['session'] } },
    { goto: `${site.url}/products/3` },
    { select: { selector: '#size', label: 'Medium' } },
    { click: '#add' },
    { waitFor: { selector: '#added' } },
    { goto: `${site.url}/checkout` },
    { type: { selector: '#name', text: 'Ana Lovelace' } },
    { type: { selector: '#address', text: '1 Main St' } },
    { select: { selector: '#shipping', value: 'express' } },
    { check: '#terms' },
    { upload: { selector: '#receipt', file: 'receipt' } },
    { click: '#place-order' },
  ];
  const outcome = await new WebdriverioDriver({ artifacts: store }).run(browser.endpoint, steps, {
    deadlineAt: Date.now() + 60_000,
    stepTimeoutMs: 10_000,
    signal: new AbortController().signal,
    itemId: 'demo.0',
    files: { receipt: { artifactId, filename: 'receipt.pdf', type: 'application/pdf' } },
  });
  expect(outcome.data.session).toEqual([
    expect.objectContaining({ name: 'session', value: 'ana', httpOnly: true }),
  ]);
  const orders = await waitFor(
    'the order',
    async () => {
      const body = (await (await fetch(`${site.url}/api/orders`)).json()) as { orders: unknown[] };
      return body.orders.length > 0 ? body.orders : undefined;
    },
    { timeoutMs: 10_000 },
  );
  expect(orders).toEqual([
    expect.objectContaining({
      user: 'ana',
      name: 'Ana Lovelace',
      shipping: 'express',
      lines: [{ product: 3, size: 'm', quantity: 1 }],
      total: Number((Number(product(3).price.slice(1)) + 9.9).toFixed(2)),
      file: { name: 'receipt.pdf', size: receipt.byteLength, type: 'application/pdf' },
    }),
  ]);
}, 90_000);
