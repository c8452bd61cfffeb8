import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { conditionSchema, STEP_KINDS, stepSchema } from './steps.js';

// docs/steps.md stays true: every step it shows (```json blocks, one step per block or per line,
// and the JSON examples in its tables) is a valid step. Data shapes are in ```jsonc blocks.
const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'steps.md'), 'utf8');

function examples(): string[] {
  const found: string[] = [];
  for (const [, block] of doc.matchAll(/```json\n([\s\S]*?)```/g)) {
    try {
      JSON.parse(block!);
      found.push(block!);
    } catch {
      found.push(...block!.split('\n').filter((line) => line.trim() !== ''));
    }
  }
  // The example column of the first table: | `kind` | `{…}` | …
  for (const [, cell] of doc.matchAll(/^\| `[A-Za-z]+` \| `(\{.*?\})` \|/gm)) found.push(cell!);
  return found;
}

/** The conditions table's first column: | `{"exists": …}` | holds when … */
const conditions = [
  ...doc.matchAll(/^\| `(\{"(?:exists|visible|textContains|urlMatches|urlContains)".*?\})` \|/gm),
].map((m) => m[1]!);

test.each(conditions.map((text) => [text]))('valid condition: %s', (text) => {
  const parsed = conditionSchema.safeParse(JSON.parse(text));
  expect(parsed.error?.issues ?? []).toEqual([]);
});

test('docs/steps.md shows at least one example of every step kind', () => {
  const kinds = new Set(examples().flatMap((text) => Object.keys(JSON.parse(text) as object)));
  for (const kind of STEP_KINDS) {
    expect([kind, kinds.has(kind)]).toEqual([kind, true]);
  }
});

test.each(examples().map((text) => [text.slice(0, 60), text]))('valid step: %s', (_head, text) => {
  const parsed = stepSchema.safeParse(JSON.parse(text));
  expect(parsed.error?.issues ?? []).toEqual([]);
});
