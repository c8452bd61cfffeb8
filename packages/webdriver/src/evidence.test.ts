import type { Evidence, Step } from '@fleet/contracts';
import { NonRetryableError, RetryableError, type RunStepsOptions } from '@fleet/core';
import { MemoryEvidencePolicy } from '@fleet/core/testing';
import type { TargetGuard } from '@fleet/targets';
import { useActionFixture } from './actions/test-fixture.js';
import { consoleText, limitHtml, MAX_HTML_BYTES } from './evidence.js';
import { pngSize } from './test-site.js';
import { failure, runOptions } from './test-support.js';
import { WebdriverioDriver, type WebdriverioDriverOptions } from './webdriverio-driver.js';

const fx = useActionFixture();

const options = (index: number, overrides: Partial<RunStepsOptions> = {}) =>
  runOptions(`evb.${index}`, overrides);

/**
 * A driver over the fixture's store, with these options (a policy, a guard); a session per run, as
 * nobody releases what these drivers would keep.
 */
const driverWith = (more: Partial<WebdriverioDriverOptions> = {}) =>
  new WebdriverioDriver({ artifacts: fx.store, keepSessions: false, ...more });

async function text(id: string | undefined): Promise<{ type: string; text: string }> {
  const got = await fx.store.get(id ?? '');
  if (!got) throw new Error(`no artifact ${id}`);
  return { type: got.type, text: Buffer.from(got.bytes).toString('utf8') };
}

test('a failed step keeps screenshot, HTML, console lines, URL and path (attached like the launcher)', async () => {
  const driver = driverWith();
  const steps: Step[] = [
    { goto: `${fx.site.url}/console` },
    { sleep: 150 },
    { waitFor: { selector: '#quiet', timeoutMs: 500 } },
  ];
  const error = await failure(driver.run(fx.browser.endpoint, steps, options(0)));
  expect(error.code).toBe('SELECTOR_NOT_FOUND');
  const detail = error.details[0]!;
  expect(detail).toMatchObject({ step: 2, kind: 'waitFor', path: 'steps[2]' });
  const evidence = detail.evidence as Evidence;
  expect(evidence.url).toBe(`${fx.site.url}/console`);
  expect(evidence.omitted).toBeUndefined();
  // The screenshot stays where it was (the result's artifacts.failure).
  expect(detail.artifactId).toBe(evidence.screenshot);
  const shot = await fx.store.get(evidence.screenshot!);
  expect(shot).toMatchObject({ itemId: 'evb.0', name: 'failure', type: 'image/png' });
  expect(pngSize(shot!.bytes).width).toBeGreaterThan(0);
  const html = await text(evidence.html);
  expect(html.type).toBe('text/html; charset=utf-8');
  expect(html.text).toContain('<h1 id="heading">Talkative</h1>');
  const lines = await text(evidence.console);
  expect(lines.type).toBe('text/plain; charset=utf-8');
  expect(lines.text).toMatch(/INFO console-api .*"hello from the page" 42/);
  expect(lines.text).toMatch(/WARNING console-api .*careful/);
  expect(lines.text).toMatch(/SEVERE console-api .*"broken thing"/);
  expect(lines.text).toContain('later line');
});

test('HTML over 512 KiB is cut at a character boundary with a marker', async () => {
  const driver = driverWith();
  const steps: Step[] = [
    { goto: `${fx.site.url}/big?kb=700` },
    { waitFor: { selector: '#nothing-here', timeoutMs: 500 } },
  ];
  const error = await failure(driver.run(fx.browser.endpoint, steps, options(1)));
  expect(error.code).toBe('SELECTOR_NOT_FOUND');
  const html = await fx.store.get((error.details[0]!.evidence as Evidence).html!);
  const body = Buffer.from(html!.bytes);
  expect(body.byteLength).toBeLessThan(MAX_HTML_BYTES + 200);
  const textBody = body.toString('utf8');
  expect(textBody).not.toContain('\uFFFD');
  expect(textBody).toMatch(/<!-- fleet: truncated, the first \d+ of \d+ bytes -->\n$/);
});

test('past EVIDENCE_PER_ERROR failures of one kind only the URL is kept, marked omitted', async () => {
  const policy = new MemoryEvidencePolicy(2);
  const driver = driverWith({ evidencePolicy: policy });
  const kept: Evidence[] = [];
  for (let i = 0; i < 4; i++) {
    // Different selectors, the same kind of failure: one signature.
    const steps: Step[] = [
      { goto: `${fx.site.url}/next` },
      { waitFor: { selector: `#missing-${i}`, timeoutMs: 500 } },
    ];
    const error = await failure(driver.run(fx.browser.endpoint, steps, options(10 + i)));
    kept.push(error.details[0]!.evidence as Evidence);
  }
  expect(kept.map((e) => e.omitted ?? false)).toEqual([false, false, true, true]);
  expect(kept[2]).toEqual({ url: `${fx.site.url}/next`, omitted: true });
  expect(kept[0]!.screenshot && kept[0]!.html && kept[0]!.console).toBeTruthy();
  expect(new Set(policy.taken.map((t) => t.signature)).size).toBe(1);
  expect(policy.taken.map((t) => [t.batchId, t.itemId, t.code, t.path])).toEqual([
    ['evb', 'evb.10', 'SELECTOR_NOT_FOUND', 'steps[1]'],
    ['evb', 'evb.11', 'SELECTOR_NOT_FOUND', 'steps[1]'],
    ['evb', 'evb.12', 'SELECTOR_NOT_FOUND', 'steps[1]'],
    ['evb', 'evb.13', 'SELECTOR_NOT_FOUND', 'steps[1]'],
  ]);
});

test('a failure inside nested steps is counted and kept under its path', async () => {
  const policy = new MemoryEvidencePolicy();
  const steps: Step[] = [
    { goto: `${fx.site.url}/console` },
    { if: { exists: 'h1' }, then: [{ waitFor: { selector: '#never', timeoutMs: 300 } }] },
  ];
  const error = await failure(
    driverWith({ evidencePolicy: policy }).run(fx.browser.endpoint, steps, options(50)),
  );
  expect(error.details[0]).toMatchObject({ step: 1, path: 'steps[1].then[0]' });
  expect((error.details[0]!.evidence as Evidence).html).toBeDefined();
  expect(policy.taken.map((t) => [t.code, t.path])).toEqual([['SELECTOR_NOT_FOUND', 'steps[1].then[0]']]);
});

test('no evidence and no count for a retryable failure that will be retried; on the last attempt both', async () => {
  const policy = new MemoryEvidencePolicy();
  const flaky: TargetGuard = {
    async check(url) {
      if (url.pathname === '/flaky') throw new RetryableError('NAVIGATION_FAILED', 'flaky');
    },
  };
  const driver = driverWith({ evidencePolicy: policy, targetGuard: flaky });
  const steps: Step[] = [{ goto: `${fx.site.url}/next` }, { goto: `${fx.site.url}/flaky` }];
  const early = await failure(driver.run(fx.browser.endpoint, steps, options(20, { lastAttempt: false })));
  expect(early.code).toBe('NAVIGATION_FAILED');
  expect(early.details[0]!.evidence).toBeUndefined();
  expect(policy.taken).toEqual([]);
  const last = await failure(driver.run(fx.browser.endpoint, steps, options(20, { lastAttempt: true })));
  expect((last.details[0]!.evidence as Evidence).screenshot).toBeDefined();
  expect(policy.taken).toHaveLength(1);
});

test('a refused target is counted but nothing of its page is kept', async () => {
  const policy = new MemoryEvidencePolicy();
  const refuse: TargetGuard = {
    async check(url) {
      if (url.pathname === '/console') throw new NonRetryableError('TARGET_BLOCKED', 'not allowed');
    },
  };
  const driver = driverWith({ evidencePolicy: policy, targetGuard: refuse });
  const error = await failure(
    driver.run(fx.browser.endpoint, [{ goto: `${fx.site.url}/console` }], options(30)),
  );
  expect(error.code).toBe('TARGET_BLOCKED');
  expect(error.details[0]!.evidence).toBeUndefined();
  expect(error.details[0]!.artifactId).toBeUndefined();
  expect(policy.taken.map((t) => t.code)).toEqual(['TARGET_BLOCKED']);
});

test('an aborted run takes no evidence and counts nothing', async () => {
  const policy = new MemoryEvidencePolicy();
  const driver = driverWith({ evidencePolicy: policy });
  const controller = new AbortController();
  setTimeout(() => controller.abort('shutdown'), 300);
  const steps: Step[] = [
    { goto: `${fx.site.url}/next` },
    { waitFor: { selector: '#never', timeoutMs: 5_000 } },
  ];
  const error = await failure(
    driver.run(fx.browser.endpoint, steps, options(40, { signal: controller.signal })),
  );
  expect(error.code).toBe('ABORTED');
  expect(error.details[0]!.evidence).toBeUndefined();
  expect(policy.taken).toEqual([]);
});

test('limitHtml and consoleText keep their bounds', () => {
  expect(limitHtml('<p>short</p>').toString()).toBe('<p>short</p>');
  const cut = limitHtml('ééééé', 5).toString();
  expect(cut.startsWith('éé\n<!-- fleet: truncated, the first 4 of 10 bytes -->')).toBe(true);
  const many = Array.from({ length: 1500 }, (_, i) => ({
    level: 'INFO',
    message: `line ${i}\nnext`,
    timestamp: 0,
  }));
  const lines = consoleText(many).trimEnd().split('\n');
  expect(lines).toHaveLength(1000);
  expect(lines[0]).toBe('1970-01-01T00:00:00.000Z INFO - line 500 next');
  expect(consoleText([])).toBe('');
});
