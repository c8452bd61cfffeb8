import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { interpolateSteps, type Step } from '@fleet/contracts';
import { REPO_ROOT } from '@fleet/testing';
import { FileArtifactStore, WebdriverioDriver } from '@fleet/webdriver';
import { startTestBrowser, type TestBrowser } from '@fleet/webdriver/test-browser';
import { search } from './demo-shop/catalog.js';
import { type DemoSite, product, startDemoSite } from './demo-site.js';

// examples/demo-checkout.json, the tour's steps example, run by the worker's driver against the
// demo shop for each of its items: the random cookie banner (`if`), every page of the search
// (`paginate` + `forEach`, lists accumulated), the reviews `frame`, and the confirmation `tab`.

interface Example {
  steps: Step[];
  items: Array<Record<string, string | number>>;
  files: Array<{ name: string; filename: string; type: string; contentBase64: string }>;
}

const example = JSON.parse(
  readFileSync(join(REPO_ROOT, 'examples', 'demo-checkout.json'), 'utf8'),
) as Example;
let site: DemoSite;
let browser: TestBrowser;
let dir: string;

beforeAll(async () => {
  [site, browser] = await Promise.all([startDemoSite(0), startTestBrowser()]);
  dir = mkdtempSync(join(tmpdir(), 'fleet-demo-example-'));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it.each(example.items.map((item, i) => [i, item] as const))(
  'item %i runs to a placed order',
  async (_i, item) => {
    const store = new FileArtifactStore(dir);
    const [file] = example.files;
    const artifactId = await store.put(Buffer.from(file!.contentBase64, 'base64'), {
      itemId: 'demo.files',
      name: file!.name,
      type: (file!.type ?? 'application/octet-stream').toLowerCase(),
    });
    // The example targets `fleet up`'s shop on :3005; this one listens elsewhere.
    const steps = JSON.parse(
      JSON.stringify(example.steps).replaceAll('http://127.0.0.1:3005', site.url),
    ) as Step[];
    const planned = interpolateSteps(steps, item);
    expect(planned.problems).toEqual([]);
    const outcome = await new WebdriverioDriver({ artifacts: store }).run(browser.endpoint, planned.steps, {
      deadlineAt: Date.now() + 80_000,
      stepTimeoutMs: 10_000,
      signal: new AbortController().signal,
      itemId: `demo.${_i}`,
      files: { [file!.name]: { artifactId, filename: file!.filename, type: file!.type } },
    });
    // Every hit of every page, in order: the lists of all pages concatenated.
    const hits: number[] = [];
    for (let page = 1, pages = 1; page <= Math.min(pages, 5); page++) {
      const found = search(String(item.q), page);
      pages = found.pages;
      hits.push(...found.hits);
    }
    expect(hits.length).toBeGreaterThan(5); // more than one page of results
    expect(outcome.data.results).toEqual(
      hits.map((n) => ({
        title: product(n).name,
        href: `/products/${n}`,
        price: Number(product(n).price.replace('€', '')),
      })),
    );
    expect(typeof outcome.data.rating).toBe('number');
    expect(outcome.data.orderId).toMatch(/^\d+$/);
    expect(outcome.data.orderFile).toContain(file!.filename);
    expect(outcome.artifacts.confirmation).toEqual(expect.any(String));
    // Back in the shop's window after the tab closed.
    expect(outcome.url).toContain('/checkout');
  },
  90_000,
);
