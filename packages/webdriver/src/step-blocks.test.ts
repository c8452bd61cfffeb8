import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Step } from '@fleet/contracts';
import type { RunStepsOptions } from '@fleet/core';
import { FileArtifactStore } from './artifact-store.js';
import { startTestBrowser, type TestBrowser } from './test-browser.js';
import { startTestSite, type TestSite } from './test-site.js';
import { failure, runOptions } from './test-support.js';
import { WebdriverioDriver } from './webdriverio-driver.js';

// The blocks of the step language (if, forEach, paginate, frame, tab) on real Chromium pages,
// step paths in failures, and the per-attempt limits.

let browser: TestBrowser;
let site: TestSite;
let dir: string;
let driver: WebdriverioDriver;

const run = (steps: Step[], overrides: Partial<RunStepsOptions> = {}) =>
  driver.run(browser.endpoint, steps, runOptions('blocks.1', overrides));

beforeAll(async () => {
  [browser, site] = await Promise.all([startTestBrowser(), startTestSite()]);
  dir = mkdtempSync(join(tmpdir(), 'fleet-blocks-'));
  driver = new WebdriverioDriver({ artifacts: new FileArtifactStore(dir) });
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await driver.release(browser.endpoint);
  expect(browser.openSessions()).toEqual([]);
});

const mark = (name: string): Step => ({ extract: { name, selector: 'title' } });

describe('if', () => {
  test('each condition kind, with not, takes then or else', async () => {
    const cases: Array<[Record<string, unknown>, boolean]> = [
      [{ exists: '#content' }, true],
      [{ exists: '#nope' }, false],
      [{ exists: '#nope', not: true }, true],
      [{ visible: '#content' }, true],
      [{ visible: '#hidden' }, false],
      [{ textContains: { text: 'Content' } }, true],
      [{ textContains: { selector: '#content', text: 'absent' } }, false],
      [{ urlMatches: '/banner\\?banner=0$' }, true],
      [{ urlMatches: '^https://' }, false],
      [{ urlContains: 'banner=0' }, true],
      [{ urlContains: 'banner=0', not: true }, false],
    ];
    const steps: Step[] = [{ goto: `${site.url}/banner?banner=0` }];
    cases.forEach(([condition], i) => {
      steps.push({
        if: condition,
        then: [{ extract: { name: `c${i}`, selector: '#content' } }],
        else: [{ extract: { name: `c${i}`, selector: '#nope' } }],
      } as Step);
    });
    const outcome = await run(steps);
    cases.forEach(([condition, expected], i) => {
      expect([condition, outcome.data[`c${i}`]]).toEqual([condition, expected ? 'Content' : null]);
    });
  });

  test('waitMs waits for the condition; without it one look misses a late banner', async () => {
    const steps: Step[] = [
      { goto: `${site.url}/banner?banner=1` },
      { if: { exists: '#banner' }, then: [mark('first')], else: [{ sleep: 1 }] },
      {
        if: { exists: '#banner', waitMs: 3000 },
        then: [{ extract: { name: 'banner', selector: '#banner' } }],
      },
      { if: { exists: '#banner', not: true }, then: [mark('never')] },
    ];
    const outcome = await run(steps);
    expect(outcome.data).toEqual({ banner: 'We use cookies' });
  });

  test('a condition that never holds within waitMs takes else after waitMs', async () => {
    const started = Date.now();
    const outcome = await run([
      { goto: `${site.url}/banner?banner=0` },
      { if: { visible: '#banner', waitMs: 600 }, then: [mark('then')], else: [mark('else')] },
    ]);
    expect(outcome.data).toEqual({ else: 'Banner' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });
});

describe('forEach', () => {
  test('a record per element, searched within it; :scope; nested forEach lists go into the record', async () => {
    const outcome = await run([
      { goto: `${site.url}/records` },
      {
        forEach: { selector: 'li.product', as: 'products' },
        do: [
          { extract: { name: 'name', selector: '.name' } },
          { extract: { name: 'price', selector: '.price' } },
          { extract: { name: 'href', selector: 'a', attr: 'href' } },
          { extract: { name: 'class', selector: ':scope', attr: 'class' } },
          { if: { exists: '.badge' }, then: [{ extract: { name: 'sale', selector: '.name' } }] },
          // textContains looks at the element itself inside forEach (not the whole body).
          {
            if: { textContains: { text: 'light' } },
            then: [{ extract: { name: 'lit', selector: '.name' } }],
          },
          {
            forEach: { selector: '.tags li', as: 'tags' },
            do: [{ extract: { name: 'tag', selector: ':scope' } }],
          },
        ],
      },
      { extract: { name: 'after', selector: 'title' } },
    ]);
    expect(outcome.data).toEqual({
      products: [
        {
          name: 'Lamp',
          lit: 'Lamp',
          price: '€12,50',
          href: '/p/1',
          class: 'product',
          tags: [{ tag: 'home' }, { tag: 'light' }],
        },
        {
          name: 'Chair',
          price: '€40',
          href: '/p/2',
          class: 'product sale',
          sale: 'Chair',
          tags: [{ tag: 'home' }],
        },
        { name: 'Desk', price: '€99', href: '/p/3', class: 'product', tags: [] },
      ],
      after: 'Records',
    });
  });

  test('max bounds the elements; no element gives an empty list', async () => {
    const outcome = await run([
      { goto: `${site.url}/records` },
      {
        forEach: { selector: 'li.product', as: 'two', max: 2 },
        do: [{ extract: { name: 'n', selector: '.name' } }],
      },
      { forEach: { selector: 'li.none', as: 'none' }, do: [{ click: 'a' }] },
    ]);
    expect(outcome.data).toEqual({ two: [{ n: 'Lamp' }, { n: 'Chair' }], none: [] });
  });

  test('a failure inside names its path with the iteration: error.details[0].path', async () => {
    const error = await failure(
      run([
        { goto: `${site.url}/records` },
        {
          forEach: { selector: 'li.product', as: 'p' },
          do: [
            { extract: { name: 'n', selector: '.name' } },
            {
              if: { exists: '.tags li' },
              then: [{ sleep: 1 }],
              else: [{ waitFor: { selector: '.missing', timeoutMs: 300 } }],
            },
          ],
        },
      ]),
    );
    expect(error.code).toBe('SELECTOR_NOT_FOUND');
    expect(error.details[0]).toMatchObject({ step: 1, kind: 'waitFor', path: 'steps[1].do[1].else[0]#2' });
    expect(error.message).toContain('(at steps[1].do[1].else[0]#2, waitFor)');
  });

  test('an element that left the page before its turn fails the loop clearly (no silent skip)', async () => {
    const error = await failure(
      run([
        { goto: `${site.url}/records` },
        // The first iteration re-renders the list: elements 1 and 2 are gone.
        {
          forEach: { selector: 'li.product', as: 'p' },
          do: [{ extract: { name: 'n', selector: '.name' } }, { click: '.rebuild' }],
        },
      ]),
    );
    expect(error.code).toBe('STEP_FAILED');
    expect(error.message).toContain('element 1 of "li.product" is no longer in the page');
    expect(error.details[0]).toMatchObject({ step: 1, kind: 'forEach', path: 'steps[1]' });
  });

  test('a runaway loop fails the item with STEP_LIMIT_EXCEEDED', async () => {
    const started = Date.now();
    const error = await failure(
      run(
        [
          { goto: `${site.url}/rows?n=1000` },
          {
            forEach: { selector: 'li.row', as: 'rows', max: 1000 },
            do: [{ sleep: 0 }, { sleep: 0 }, { sleep: 0 }, { sleep: 0 }, { sleep: 0 }, { sleep: 0 }],
          },
        ],
        { deadlineAt: Date.now() + 60_000 },
      ),
    );
    expect(error.code).toBe('STEP_LIMIT_EXCEEDED');
    expect(error.kind).toBe('non-retryable');
    // 2 steps before the loop's, then 6 per element: the 5001st execution is element 833's 1st step.
    expect(error.details[0]).toMatchObject({ step: 1, path: 'steps[1].do[0]#833' });
    expect(Date.now() - started).toBeLessThan(50_000);
  }, 70_000);

  test('an abort inside a loop stops it promptly with ABORTED', async () => {
    const controller = new AbortController();
    let abortedAt = 0;
    // Abort 600 ms after the loop's page was loaded: inside the loop, whatever the machine's load.
    const watch = setInterval(() => {
      if (abortedAt === 0 && site.visits.some((v) => v.path === '/rows?n=50&w=2')) {
        abortedAt = -1;
        setTimeout(() => {
          abortedAt = Date.now();
          controller.abort('shutdown');
        }, 600);
      }
    }, 20);
    try {
      const error = await failure(
        run(
          [
            { goto: `${site.url}/rows?n=50&w=2` },
            {
              forEach: { selector: 'li.row', as: 'rows' },
              do: [{ sleep: 200 }, { extract: { name: 'r', selector: ':scope' } }],
            },
          ],
          { signal: controller.signal },
        ),
      );
      expect(error.code).toBe('ABORTED');
      expect(error.details[0]?.path).toMatch(/^steps\[1\](\.do\[[01]\]#\d+)?$/);
      expect(Date.now() - abortedAt).toBeLessThan(1_000);
    } finally {
      clearInterval(watch);
    }
  });

  test("an item's data over 1 MiB fails it with RESULT_TOO_LARGE", async () => {
    const error = await failure(
      run([
        { goto: `${site.url}/rows?n=600&w=2000` },
        { extract: { name: 'rows', selector: 'li.row', all: true } },
      ]),
    );
    expect(error.code).toBe('RESULT_TOO_LARGE');
    expect(error.details[0]).toMatchObject({ step: 1, path: 'steps[1]', kind: 'extract' });
  });
});

describe('paginate', () => {
  test('runs on each page until next is gone; lists accumulate, single values keep the last page', async () => {
    const outcome = await run([
      { goto: `${site.url}/pages?page=1` },
      {
        paginate: { next: 'a.next' },
        do: [
          { extract: { name: 'results', selector: 'li.result', all: true } },
          { extract: { name: 'page', selector: '#page' } },
          {
            forEach: { selector: 'li.result', as: 'records' },
            do: [{ extract: { name: 'text', selector: ':scope' } }],
          },
        ],
      },
      { extract: { name: 'title', selector: 'title' } },
    ]);
    expect(outcome.data).toEqual({
      results: ['Result 1', 'Result 2', 'Result 3', 'Result 4', 'Result 5', 'Result 6'],
      page: 'Page 3 of 3',
      records: [1, 2, 3, 4, 5, 6].map((n) => ({ text: `Result ${n}` })),
      title: 'Page 3',
    });
  });

  test('until and max stop it early', async () => {
    const until = await run([
      { goto: `${site.url}/pages?page=1` },
      {
        paginate: { next: 'a.next', until: { textContains: { selector: '#page', text: 'Page 2' } } },
        do: [{ extract: { name: 'results', selector: 'li.result', all: true } }],
      },
    ]);
    expect(until.data.results).toEqual(['Result 1', 'Result 2', 'Result 3', 'Result 4']);
    const max = await run([
      { goto: `${site.url}/pages?page=1` },
      {
        paginate: { next: 'a.next', max: 1 },
        do: [{ extract: { name: 'results', selector: 'li.result', all: true } }],
      },
    ]);
    expect(max.data.results).toEqual(['Result 1', 'Result 2']);
  });

  test('a disabled or hidden next ends it', async () => {
    for (const last of ['disabled', 'hidden']) {
      const outcome = await run([
        { goto: `${site.url}/pages?page=1&last=${last}` },
        {
          paginate: { next: '.next' },
          do: [{ extract: { name: 'results', selector: 'li.result', all: true } }],
        },
      ]);
      expect([last, (outcome.data.results as string[]).length, outcome.url]).toEqual([
        last,
        6,
        `${site.url}/pages?page=3&last=${last}`,
      ]);
    }
  });

  test('a failure on a later page names the page in its path', async () => {
    const error = await failure(
      run([
        { goto: `${site.url}/pages?page=1` },
        {
          paginate: { next: 'a.next' },
          do: [
            { assertText: { selector: '#page', contains: 'of 3', timeoutMs: 300 } },
            { waitFor: { selector: 'a.next', timeoutMs: 300 } },
          ],
        },
      ]),
    );
    expect(error.code).toBe('SELECTOR_NOT_FOUND');
    expect(error.details[0]).toMatchObject({ step: 1, path: 'steps[1].do[1]#2' });
  });
});

describe('frame and tab', () => {
  test('frame runs inside the iframe, and the next step acts on the parent page', async () => {
    const outcome = await run([
      { goto: `${site.url}/framed` },
      {
        frame: '#inner',
        do: [
          { extract: { name: 'inside', selector: '#inside' } },
          { extract: { name: 'outerSeen', selector: '#outer' } },
        ],
      },
      { click: '#outer-button' },
      { extract: { name: 'button', selector: '#outer-button' } },
    ]);
    expect(outcome.data).toEqual({ inside: 'Inside the frame', outerSeen: null, button: 'Clicked' });
  });

  test('a failure inside a frame still returns to the parent (its path says where)', async () => {
    const error = await failure(
      run([{ goto: `${site.url}/framed` }, { frame: '#inner', do: [{ click: '#outer-button' }] }], {
        stepTimeoutMs: 600,
      }),
    );
    expect(error.code).toBe('SELECTOR_NOT_FOUND');
    expect(error.details[0]).toMatchObject({ path: 'steps[1].do[0]', kind: 'click' });
    const missing = await failure(
      run([{ goto: `${site.url}/framed` }, { frame: '#nope', do: [{ sleep: 1 }] }], { stepTimeoutMs: 600 }),
    );
    expect(missing.code).toBe('SELECTOR_NOT_FOUND');
    expect(missing.details[0]).toMatchObject({ path: 'steps[1]', kind: 'frame' });
  });

  test('a tab that never opens → TAB_NOT_OPENED', async () => {
    const error = await failure(
      run([{ goto: `${site.url}/opener` }, { tab: { click: '#dud', timeoutMs: 700 }, do: [{ sleep: 1 }] }]),
    );
    expect(error.code).toBe('TAB_NOT_OPENED');
    expect(error.kind).toBe('non-retryable');
    expect(error.details[0]).toMatchObject({ step: 1, kind: 'tab', path: 'steps[1]' });
  });

  test('tab follows the new window, closes it and comes back', async () => {
    const outcome = await run([
      { goto: `${site.url}/opener` },
      { tab: { click: '#open' }, do: [{ extract: { name: 'inTab', selector: '.note' } }] },
      { extract: { name: 'back', selector: '#home' } },
      { tab: { click: '#open', close: false }, do: [{ extract: { name: 'kept', selector: 'title' } }] },
      { extract: { name: 'backAgain', selector: '#home' } },
    ]);
    expect(outcome.data).toEqual({
      inTab: 'You made it.',
      back: 'Home window',
      kept: 'Next page',
      backAgain: 'Home window',
    });
    expect(outcome.url).toBe(`${site.url}/opener`);
  });
});
