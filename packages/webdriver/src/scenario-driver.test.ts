/**
 * The scenario driver on real Chromium: `ctx` (goto, text, attr, all, table, waitFor, screenshot,
 * artifact, checkpoint, resumed, log) drives the attached session, `run`'s answer is the item's
 * data, and every failure goes through the steps' policy: the scenario's own verdict
 * (SCENARIO_FAILED, ASSERTION_FAILED) non-retryable, a lost session retryable, a deadline or abort
 * stops even a scenario that ignores its signal; the session is always ended.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Checkpoint } from '@fleet/contracts';
import type { ScenarioCall } from '@fleet/core';
import { defineScenario, type ScenarioDefinition, scenarioOf } from '@fleet/scenario';
import { z } from 'zod';
import { FileArtifactStore } from './artifact-store.js';
import { ScenarioDriver } from './scenario-driver.js';
import { startTestBrowser, type TestBrowser } from './test-browser.js';
import { startTestSite, type TestSite } from './test-site.js';
import { failure, runOptions } from './test-support.js';

let browser: TestBrowser;
let site: TestSite;
let dir: string;
let store: FileArtifactStore;

beforeAll(async () => {
  [browser, site] = await Promise.all([startTestBrowser(), startTestSite()]);
  dir = mkdtempSync(join(tmpdir(), 'fleet-scenario-artifacts-'));
  store = new FileArtifactStore(dir);
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  expect(browser.openSessions()).toEqual([]);
  expect(browser.browserRunning()).toBe(true);
});

const input = z.object({ path: z.string().default('/'), who: z.string().default('Ada') });

/** One scenario `t@1` run once: the driver, the call (checkpoints kept in `saved`). */
function runOne(
  run: ScenarioDefinition<typeof input>['run'],
  call: Partial<ScenarioCall> = {},
  options = runOptions('b.0'),
) {
  const loaded = scenarioOf({ default: defineScenario({ name: 't', version: '1', input, run }) }, 't.ts');
  const driver = new ScenarioDriver({ scenarios: [loaded], artifacts: store });
  const saved: Array<{ name: string; value: unknown }> = [];
  const outcome = driver.run(
    browser.endpoint,
    {
      scenario: { name: 't', version: '1' },
      input: {},
      attempt: 1,
      resumed: null,
      checkpoint: async (name, value) => {
        saved.push({ name, value });
      },
      ...call,
    },
    options,
  );
  return { driver, outcome, saved };
}

test('ctx drives the page; run answers the data; checkpoints and artifacts are kept', async () => {
  const resumed: Checkpoint = { name: 'start', value: { n: 1 }, at: 1, attempt: 1 };
  const { outcome, saved, driver } = runOne(
    async (ctx) => {
      await ctx.goto(`${site.url}${ctx.input.path}`);
      await ctx.waitFor('#late', { timeoutMs: 3000, visible: true });
      await ctx.checkpoint('loaded', { heading: await ctx.text('h1') });
      await ctx.browser.$('#name').setValue(ctx.input.who);
      await ctx.browser.$('#greet').click();
      await ctx.browser.execute(
        "document.body.insertAdjacentHTML('beforeend', '<table id=t><thead><tr><th>Name</th><th></th></tr></thead><tbody><tr><td>Lamp</td><td>9.50</td></tr></tbody></table>')",
      );
      const shot = await ctx.screenshot('page');
      const note = await ctx.artifact('note', new TextEncoder().encode('hi'), 'text/plain');
      ctx.log('done', { items: 3 });
      return {
        greeting: await ctx.text('#greeting'),
        href: await ctx.attr('#to-next', 'href'),
        items: await ctx.all('li.item'),
        hrefs: await ctx.all('a.link', { attr: 'href' }),
        table: await ctx.table('#t'),
        missing: await ctx.text('.nothing'),
        resumedFrom: ctx.resumed?.name ?? null,
        attempt: ctx.attempt,
        shot: typeof shot,
        note: typeof note,
        undefinedIsDropped: undefined,
      };
    },
    { input: { who: 'Grace' }, resumed, attempt: 2 },
  );
  const result = await outcome;
  expect(driver.has({ name: 't', version: '1' })).toBe(true);
  expect(driver.has({ name: 't', version: '2' })).toBe(false);
  expect(result.data).toEqual({
    greeting: 'Hello, Grace',
    href: '/next',
    items: ['Alpha', 'Beta', 'Gamma'],
    hrefs: ['/next', 'https://example.com/x', null],
    table: [{ Name: 'Lamp', col1: '9.50' }],
    missing: null,
    resumedFrom: 'start',
    attempt: 2,
    shot: 'string',
    note: 'string',
  });
  expect(saved).toEqual([{ name: 'loaded', value: { heading: 'Catalogue' } }]);
  expect(Object.keys(result.artifacts).sort()).toEqual(['note', 'page']);
  expect(await store.get(result.artifacts.page!)).toMatchObject({ itemId: 'b.0', name: 'page' });
  expect(result.url).toBe(`${site.url}/`);
});

test("the scenario's own verdict: SCENARIO_FAILED (ctx.fail, with the page's evidence) and ASSERTION_FAILED, not retried", async () => {
  const failed = await failure(
    runOne(async (ctx) => {
      await ctx.goto(`${site.url}/`);
      return ctx.fail('OUT_OF_STOCK', 'size m is sold out', { size: 'm' });
    }).outcome,
  );
  expect(failed).toMatchObject({ kind: 'non-retryable', code: 'SCENARIO_FAILED' });
  expect(failed.message).toBe('OUT_OF_STOCK: size m is sold out');
  expect(failed.details[0]).toMatchObject({ step: null, code: 'OUT_OF_STOCK', size: 'm' });
  // The failed page's evidence is kept, as for a failed step.
  const evidence = failed.details[0]?.evidence as Record<string, string>;
  expect(evidence).toMatchObject({ url: `${site.url}/` });
  expect(await store.get(evidence.screenshot!)).toMatchObject({ itemId: 'b.0', type: 'image/png' });
  expect(await store.get(evidence.html!)).toMatchObject({ type: expect.stringContaining('text/html') });

  const asserted = await failure(
    runOne(async (ctx) => {
      await ctx.goto(`${site.url}/`);
      assert.equal(await ctx.text('h1'), 'Checkout');
      return {};
    }).outcome,
  );
  expect(asserted).toMatchObject({ kind: 'non-retryable', code: 'ASSERTION_FAILED' });
  expect(asserted.message).toMatch(/strictly equal/);
});

test('browser trouble as for steps: a lost session is retryable, a missing element non-retryable', async () => {
  const lost = await failure(
    runOne(async (ctx) => {
      // The session goes away under it (the driver dropped it): chromedriver answers "invalid session id".
      await ctx.goto(`${site.url}/`);
      const { protocol, hostname, port, path } = browser.endpoint;
      const base = `${protocol}://${hostname}:${port}${path.replace(/\/$/, '')}`;
      await fetch(`${base}/session/${ctx.browser.sessionId}`, { method: 'DELETE' });
      await ctx.browser.getUrl();
      return {};
    }).outcome,
  );
  expect(lost).toMatchObject({ kind: 'retryable', code: 'BROWSER_UNAVAILABLE' });

  const missing = await failure(
    runOne(async (ctx) => {
      await ctx.goto(`${site.url}/`);
      await ctx.waitFor('#never', { timeoutMs: 300 });
      return {};
    }).outcome,
  );
  expect(missing).toMatchObject({ kind: 'non-retryable', code: 'SELECTOR_NOT_FOUND' });
});

test('the deadline stops a scenario that ignores its signal; an abort too', async () => {
  const started = Date.now();
  const late = await failure(
    runOne(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 10_000).unref());
        return {};
      },
      {},
      runOptions('b.0', { deadlineAt: Date.now() + 800 }),
    ).outcome,
  );
  expect(late).toMatchObject({ kind: 'non-retryable', code: 'DEADLINE_EXCEEDED' });
  expect(Date.now() - started).toBeLessThan(5_000);

  const controller = new AbortController();
  const run = runOne(
    async (ctx) => {
      await ctx.goto(`${site.url}/`);
      await new Promise((resolve) => setTimeout(resolve, 10_000).unref());
      return {};
    },
    {},
    runOptions('b.0', { signal: controller.signal }),
  );
  setTimeout(() => controller.abort('shutdown'), 500);
  expect(await failure(run.outcome)).toMatchObject({ code: 'ABORTED' });
});

test('data must be a JSON object of at most 1 MiB; input is parsed by the scenario schema', async () => {
  const big = await failure(runOne(async () => ({ blob: 'x'.repeat(1024 * 1024) })).outcome);
  expect(big).toMatchObject({ kind: 'non-retryable', code: 'RESULT_TOO_LARGE' });
  const strict = scenarioOf(
    {
      default: defineScenario({
        name: 's',
        version: '1',
        input: z.object({ n: z.number().refine((n) => n % 2 === 0, 'must be even') }),
        run: async () => ({}),
      }),
    },
    's.ts',
  );
  const driver = new ScenarioDriver({ scenarios: [strict], artifacts: store });
  const call = {
    scenario: { name: 's', version: '1' },
    input: { n: 3 },
    attempt: 1,
    resumed: null,
    checkpoint: async () => {},
  };
  expect(await failure(driver.run(browser.endpoint, call, runOptions('b.1')))).toMatchObject({
    code: 'SCENARIO_INPUT_INVALID',
    message: expect.stringContaining('must be even'),
  });
  const other = { ...call, scenario: { name: 's', version: '9' } };
  expect(await failure(driver.run(browser.endpoint, other, runOptions('b.1')))).toMatchObject({
    kind: 'retryable',
    code: 'SCENARIO_UNAVAILABLE',
  });
});
