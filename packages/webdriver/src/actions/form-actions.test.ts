import { NonRetryableError } from '@fleet/core';
import { jittered } from './form-actions.js';
import { useActionFixture } from './test-fixture.js';

const fx = useActionFixture();

const form = () => ({ goto: `${fx.site.url}/form` });

describe('select', () => {
  test('by value, label and index, firing change; waits for options that come late', async () => {
    const out = await fx.run([
      form(),
      { select: { selector: '#size', value: 'm' } },
      { extract: { name: 'byValue', selector: '#size-changed' } },
      { select: { selector: '#size', label: 'Large' } },
      { extract: { name: 'byLabel', selector: '#size-changed' } },
      { select: { selector: '#size', index: 1 } },
      { extract: { name: 'byIndex', selector: '#size-changed' } },
      { select: { selector: '#late', label: 'TWO', timeoutMs: 3_000 } },
      { evaluate: { name: 'late', expression: "document.getElementById('late').value" } },
    ]);
    expect(out.data).toEqual({
      byValue: 'changed:m',
      byLabel: 'changed:l',
      byIndex: 'changed:s',
      late: 'two',
    });
  });

  test('an option that does not exist → OPTION_NOT_FOUND listing the options seen', async () => {
    const error = await fx.fail([form(), { select: { selector: '#size', value: 'xl', timeoutMs: 300 } }]);
    expect(error).toBeInstanceOf(NonRetryableError);
    expect(error.code).toBe('OPTION_NOT_FOUND');
    expect(error.message).toContain('no option with value "xl"');
    expect(error.message).toContain('"s" (Small), "m" (Medium), "l" (Large)');
    expect(error.details[0]).toMatchObject({ step: 1, kind: 'select' });
  });

  test('a disabled select, a non-select and a missing one fail with what they are', async () => {
    const locked = await fx.fail([form(), { select: { selector: '#locked', value: 'a' } }]);
    expect([locked.code, locked.message]).toEqual(['STEP_FAILED', expect.stringContaining('disabled')]);
    const div = await fx.fail([form(), { select: { selector: '#not-select', index: 0 } }]);
    expect([div.code, div.message]).toEqual([
      'STEP_FAILED',
      expect.stringContaining('is a <div>, not a <select>'),
    ]);
    const missing = await fx.fail([form(), { select: { selector: '#nope', index: 0, timeoutMs: 200 } }]);
    expect(missing.code).toBe('SELECTOR_NOT_FOUND');
  });
});

describe('check / uncheck', () => {
  test('click only when the state differs; the page sees the change', async () => {
    const out = await fx.run([
      form(),
      { check: '#terms' },
      { check: '#terms' }, // already checked: no click (a click would uncheck it)
      { extract: { name: 'terms', selector: '#terms-changed' } },
      { uncheck: '#news' },
      { uncheck: '#news' },
      { check: '#exp' },
      {
        evaluate: {
          name: 'state',
          expression:
            "['terms','news','std','exp'].map(function (id) { return document.getElementById(id).checked; })",
        },
      },
    ]);
    expect(out.data).toEqual({ terms: 'terms:true', state: [true, false, false, true] });
  });

  test('unchecking a radio cannot take: STEP_FAILED after verifying', async () => {
    const error = await fx.fail([form(), { uncheck: '#std' }]);
    expect(error.code).toBe('STEP_FAILED');
    expect(error.message).toContain('is still checked after a click');
  });
});

describe('type', () => {
  test('clear:false appends; delayMs types key by key within the cadence', async () => {
    const started = Date.now();
    const out = await fx.run([
      form(),
      { type: { selector: '#text', text: '-more', clear: false } },
      { type: { selector: '#notes', text: 'héllo😀', delayMs: 60 } },
      { evaluate: { name: 'text', expression: "document.getElementById('text').value" } },
      { evaluate: { name: 'notes', expression: "document.getElementById('notes').value" } },
    ]);
    expect(out.data).toEqual({ text: 'keep-more', notes: 'héllo😀' });
    // 6 gaps of 42-78 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(6 * 42);
  });

  test('a slow cadence is still bounded by the step timeout', async () => {
    const error = await fx.fail([
      form(),
      { type: { selector: '#notes', text: 'x'.repeat(50), delayMs: 200, timeoutMs: 500 } },
    ]);
    expect(error.code).toBe('STEP_FAILED');
    expect(error.message).toContain('did not finish within 500 ms');
  });

  test('jitter stays within ±30%', () => {
    expect(jittered(100, () => 0)).toBe(70);
    expect(jittered(100, () => 0.999999)).toBe(130);
    expect(jittered(100, () => 0.5)).toBe(100);
  });
});

describe('upload', () => {
  const text = 'name,size\nlamp,3\n';

  test('sets a batch file on the input from the artifact store; the page sees name, size, type and bytes', async () => {
    const artifactId = await fx.store.put(Buffer.from(text), {
      itemId: 'batch-a.files',
      name: 'receipt',
      type: 'text/csv',
    });
    const files = { receipt: { artifactId, filename: 'receipt.csv', type: 'text/csv' } };
    const out = await fx.run(
      [
        form(),
        { upload: { selector: '#file', file: 'receipt' } },
        { extract: { name: 'info', selector: '#file-info' } },
        { waitForText: { selector: '#file-text', text: 'lamp' } },
        { extract: { name: 'content', selector: '#file-text' } },
        { extract: { name: 'inputs', selector: '#input-events', type: 'number' } },
      ],
      { files },
    );
    expect(out.data).toEqual({
      info: `receipt.csv|${Buffer.byteLength(text)}|text/csv`,
      content: 'name,size lamp,3', // innerText of a <p> folds the newline
      inputs: 1,
    });
  });

  test('a file not among the batch files, or no longer stored → STEP_INPUT_INVALID; not a file input → STEP_FAILED', async () => {
    const unknown = await fx.fail([form(), { upload: { selector: '#file', file: 'other' } }], { files: {} });
    expect([unknown.code, unknown.message]).toEqual([
      'STEP_INPUT_INVALID',
      expect.stringContaining('"other", which is not among the batch\'s files'),
    ]);
    const gone = await fx.fail([form(), { upload: { selector: '#file', file: 'receipt' } }], {
      files: { receipt: { artifactId: 'A'.repeat(22), filename: 'r.csv', type: 'text/csv' } },
    });
    expect([gone.code, gone.message]).toEqual([
      'STEP_INPUT_INVALID',
      expect.stringContaining('no longer stored'),
    ]);
    const artifactId = await fx.store.put(Buffer.from(text), {
      itemId: 'batch-a.files',
      name: 'receipt',
      type: 'text/csv',
    });
    const wrong = await fx.fail([form(), { upload: { selector: '#text', file: 'receipt' } }], {
      files: { receipt: { artifactId, filename: 'r.csv', type: 'text/csv' } },
    });
    expect([wrong.code, wrong.message]).toEqual([
      'STEP_FAILED',
      expect.stringContaining('is <input type=text>, not an enabled <input type="file">'),
    ]);
  });
});
