import { MAX_EVALUATE_RESULT_BYTES } from '@fleet/contracts';
import { NonRetryableError } from '@fleet/core';
import { stepTimeoutOf } from '../step-actions.js';
import { useActionFixture } from './test-fixture.js';

const fx = useActionFixture();

describe('waitForUrl / waitForText', () => {
  test('wait for a URL the page changes later (contains, and a pattern tested in the page)', async () => {
    const out = await fx.run([
      { goto: `${fx.site.url}/url-change` },
      { waitForUrl: { contains: '/done', timeoutMs: 3_000 } },
      { waitForUrl: { matches: 'step=\\d$' } },
      { waitForText: { text: 'Ready now', timeoutMs: 3_000 } },
      { waitForText: { text: 'Ready', selector: '#status' } },
    ]);
    expect(out.url).toMatch(/\/url-change\/done\?step=2$/);
  });

  test('a URL that never comes → STEP_FAILED naming the URL (without its query) within timeoutMs', async () => {
    const started = Date.now();
    const error = await fx.fail([
      { goto: `${fx.site.url}/next?secret=1` },
      { waitForUrl: { matches: '^https://elsewhere', timeoutMs: 400 } },
    ]);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(error.code).toBe('STEP_FAILED');
    expect(error.message).toContain(
      `did not match /^https://elsewhere/ within 400 ms; it is ${fx.site.url}/next`,
    );
    expect(error.message).not.toContain('secret');
  });

  test('text that never comes → STEP_FAILED; a missing selector → SELECTOR_NOT_FOUND', async () => {
    const text = await fx.fail([
      { goto: `${fx.site.url}/` },
      { waitForText: { text: 'Nope', timeoutMs: 300 } },
    ]);
    expect([text.code, text.message]).toEqual([
      'STEP_FAILED',
      expect.stringContaining('"Nope" did not appear'),
    ]);
    const missing = await fx.fail([
      { goto: `${fx.site.url}/` },
      { waitForText: { text: 'x', selector: '#none', timeoutMs: 300 } },
    ]);
    expect(missing.code).toBe('SELECTOR_NOT_FOUND');
  });

  test('stepTimeoutOf reads timeoutMs of every waiting step, if.waitMs and sleep', () => {
    expect(stepTimeoutOf({ waitForUrl: { contains: 'x', timeoutMs: 1234 } }, 9)).toBe(1234);
    expect(stepTimeoutOf({ select: { selector: 's', index: 0, timeoutMs: 77 } }, 9)).toBe(77);
    expect(stepTimeoutOf({ evaluate: { name: 'n', expression: '1', timeoutMs: 55 } }, 9)).toBe(55);
    expect(stepTimeoutOf({ type: { selector: 's', text: 't', timeoutMs: 66 } }, 9)).toBe(66);
    expect(stepTimeoutOf({ tab: { click: 'a', timeoutMs: 88 }, do: [{ sleep: 1 }] }, 9)).toBe(88);
    expect(stepTimeoutOf({ do: [{ sleep: 1 }], tab: { click: 'a', timeoutMs: 87 } }, 9)).toBe(87);
    expect(stepTimeoutOf({ if: { exists: 'a', waitMs: 500 }, then: [{ sleep: 1 }] }, 9)).toBe(500);
    expect(stepTimeoutOf({ if: { exists: 'a' }, then: [{ sleep: 1 }] }, 9)).toBe(9);
    expect(stepTimeoutOf({ sleep: 3 }, 9)).toBe(3);
    expect(stepTimeoutOf({ hover: 'a' }, 9)).toBe(9);
    expect(stepTimeoutOf({ waitFor: { selector: 'a' } }, 9)).toBe(9);
  });
});

describe('evaluate', () => {
  test('runs in the page: values, awaited promises, JSON results', async () => {
    const out = await fx.run([
      { goto: `${fx.site.url}/data` },
      { evaluate: { name: 'data', expression: 'window.appData' } },
      { evaluate: { name: 'later', expression: 'window.later(150)', timeoutMs: 2_000 } },
      {
        evaluate: {
          name: 'sum',
          expression: '[1, 2, 3].reduce(function (a, b) { return a + b; }, 0) // a comment',
        },
      },
      { evaluate: { name: 'nothing', expression: 'undefined' } },
      { evaluate: { name: 'date', expression: 'new Date(0)' } },
      { evaluate: { name: 'where', expression: 'location.pathname' } },
    ]);
    expect(out.data).toEqual({
      data: { user: 'ada', items: [1, 2, 3] },
      later: { waited: 150 },
      sum: 6,
      nothing: null,
      date: '1970-01-01T00:00:00.000Z',
      where: '/data',
    });
  });

  test("a page exception → EVALUATE_FAILED with the page's message (thrown, rejected, syntax)", async () => {
    const thrown = await fx.fail([
      { goto: `${fx.site.url}/data` },
      { evaluate: { name: 'x', expression: 'window.fail()' } },
    ]);
    expect(thrown).toBeInstanceOf(NonRetryableError);
    expect(thrown.code).toBe('EVALUATE_FAILED');
    expect(thrown.message).toContain('the page says no');
    expect(thrown.details[0]).toMatchObject({ step: 1, kind: 'evaluate' });
    const rejected = await fx.fail([
      { goto: `${fx.site.url}/data` },
      { evaluate: { name: 'x', expression: "Promise.reject(new Error('async no'))" } },
    ]);
    expect([rejected.code, rejected.message]).toEqual([
      'EVALUATE_FAILED',
      expect.stringContaining('async no'),
    ]);
    const syntax = await fx.fail([
      { goto: `${fx.site.url}/data` },
      { evaluate: { name: 'x', expression: '1 +' } },
    ]);
    expect(syntax.code).toBe('EVALUATE_FAILED');
  });

  test('a result over 64 KiB → RESULT_TOO_LARGE; a promise that never settles → STEP_FAILED at timeoutMs', async () => {
    const big = await fx.fail([
      { goto: `${fx.site.url}/data` },
      { evaluate: { name: 'x', expression: `'a'.repeat(${MAX_EVALUATE_RESULT_BYTES})` } },
    ]);
    expect(big.code).toBe('RESULT_TOO_LARGE');
    expect(big.message).toContain(`${MAX_EVALUATE_RESULT_BYTES + 2} bytes`);
    const started = Date.now();
    const hung = await fx.fail([
      { goto: `${fx.site.url}/data` },
      { evaluate: { name: 'x', expression: 'new Promise(function () {})', timeoutMs: 500 } },
    ]);
    expect(hung.code).toBe('STEP_FAILED');
    expect(Date.now() - started).toBeLessThan(4_000);
    // The session's script timeout went back: the next run's scripts still work.
    await fx.run([{ goto: `${fx.site.url}/data` }, { evaluate: { name: 'ok', expression: '1' } }]);
  });
});
