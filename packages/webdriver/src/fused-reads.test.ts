import type { Step } from '@fleet/contracts';
import { fusedReads } from './step-runner.js';

const goto: Step = { goto: 'https://example.com/' };
const extract = (name: string): Step => ({ extract: { name, selector: 'h1' } });
const table: Step = { extract: { name: 't', selector: 'table', table: true } };
const shot: Step = { screenshot: { name: 's' } };

test('a goto and the plain extracts right after it run as one read', () => {
  expect(fusedReads([goto, extract('a'), extract('b'), shot], 0)).toBe(3);
  expect(fusedReads([goto, shot], 0)).toBe(1);
  expect(fusedReads([goto, table, extract('a')], 0)).toBe(1);
});

test('extracts without a goto fuse only two or more in a row; tables and other steps never', () => {
  expect(fusedReads([shot, extract('a'), extract('b'), extract('c')], 1)).toBe(3);
  expect(fusedReads([shot, extract('a'), shot], 1)).toBe(0);
  expect(fusedReads([table, table], 0)).toBe(0);
  expect(fusedReads([shot], 0)).toBe(0);
  expect(fusedReads([goto], 1)).toBe(0);
});
