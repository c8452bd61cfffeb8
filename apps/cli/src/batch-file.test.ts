import { join } from 'node:path';
import { readBatchFile, validateBatch } from './batch-file.js';
import type { CliError } from './cli-error.js';
import { findJsonSyntaxProblem } from './json-syntax.js';

const EXAMPLES = join(__dirname, '..', '..', '..', 'examples');

describe('the examples', () => {
  it.each(['demo.json', 'demo-search.yaml', 'batch.json'])('%s is a valid batch', (file) => {
    const body = validateBatch(readBatchFile(file, EXAMPLES), file);
    expect(body.items.length).toBeGreaterThan(0);
  });

  it('demo.json reads 12 products of the demo shop: title, price, a screenshot', () => {
    const body = validateBatch(readBatchFile('demo.json', EXAMPLES), 'demo.json');
    expect(body.items).toEqual(Array.from({ length: 12 }, (_, i) => ({ n: i + 1 })));
    expect(body.steps).toEqual([
      { goto: 'http://127.0.0.1:3005/products/{{n}}' },
      { waitFor: { selector: 'h1' } },
      { extract: { name: 'title', selector: 'h1' } },
      { extract: { name: 'price', selector: '.price' } },
      { screenshot: { name: 'product' } },
    ]);
  });
});

describe('findJsonSyntaxProblem', () => {
  it.each([
    ['{"a": 1}', null],
    ['  [1, -2.5e3, "x\\n", true, null, {}]  ', null],
    [
      '{\n  "a": 1,\n}',
      { line: 3, column: 1, message: 'a comma before "}" (JSON allows no trailing comma)' },
    ],
    ['{\n  "a" 1\n}', { line: 2, column: 7, message: 'expected ":" after the property name, found "1"' }],
    ["{'a': 1}", { line: 1, column: 2, message: `expected a "quoted" property name, found "'"` }],
    ['{"a": [1 2]}', { line: 1, column: 10, message: 'expected "," or "]" after a list element, found "2"' }],
    ['{"a": "b', { line: 1, column: 7, message: 'a string is not closed' }],
    ['{"a": tru}', { line: 1, column: 7, message: 'unexpected "t"' }],
    ['', { line: 1, column: 1, message: 'the file ends where a value should be' }],
    ['{} {}', { line: 1, column: 4, message: 'unexpected "{" after the end of the JSON value' }],
  ])('%j', (text, expected) => {
    expect(findJsonSyntaxProblem(text)).toEqual(expected);
    // It agrees with JSON.parse on what is valid.
    if (expected) expect(() => JSON.parse(text)).toThrow(SyntaxError);
    else expect(() => JSON.parse(text)).not.toThrow();
  });
});

describe('validateBatch', () => {
  const problems = (raw: unknown) => {
    try {
      validateBatch(raw, 'b.json');
      return [];
    } catch (error) {
      return (error as CliError).lines.slice(1);
    }
  };

  it('names the step kind that was meant when a step matches none', () => {
    expect(problems({ steps: [{ waitFor: { selector: '' } }], items: [{}] })).toEqual([
      '  steps[0].waitFor.selector: Too small: expected string to have >=1 characters',
    ]);
  });

  it('lists at most 30 problems and says how many more', () => {
    const items = Array.from({ length: 40 }, () => ({}));
    const lines = problems({ steps: [{ goto: '{{url}}' }], items });
    expect(lines).toHaveLength(31);
    expect(lines.at(-1)).toBe('  ... and 10 more');
  });
});
