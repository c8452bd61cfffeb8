import { NonRetryableError } from '@fleet/core';
import { truncate } from '../driver-errors.js';
import { elementRef, firstElement, readElements } from '../page-queries.js';
import type { StepContext } from '../step-actions.js';
import type { StepSpec } from './elements.js';

/**
 * "€1,234.50" → 1234.5, "12,50 €" → 12.5, "1.234.567" → 1234567, "-3" → -3; null when no number.
 * Currency signs, letters and spaces go; of "," and ".", the last one is the decimal mark when both
 * appear; a lone "," is decimal unless exactly three digits follow it ("1,234" → 1234); several of
 * the same mark are thousands separators.
 */
export function parseNumber(text: string): number | null {
  const negative = /^[^\d]*[-−]/.test(text.trim());
  let s = text.replace(/[^\d.,]/g, '');
  if (!/\d/.test(s)) return null;
  const lastComma = s.lastIndexOf(',');
  const lastDot = s.lastIndexOf('.');
  let decimal: ',' | '.' | null = null;
  if (lastComma !== -1 && lastDot !== -1) decimal = lastComma > lastDot ? ',' : '.';
  else if (lastComma !== -1) {
    decimal = s.indexOf(',') === lastComma && s.length - lastComma - 1 !== 3 ? ',' : null;
  } else if (lastDot !== -1) decimal = s.indexOf('.') === lastDot ? '.' : null;
  const thousands = decimal === ',' ? '.' : decimal === '.' ? ',' : /[.,]/g;
  s = s.replace(typeof thousands === 'string' ? new RegExp(`\\${thousands}`, 'g') : thousands, '');
  if (decimal !== null) {
    const at = s.lastIndexOf(decimal);
    s = `${s.slice(0, at).split(decimal).join('')}.${s.slice(at + 1)}`;
  }
  const value = Number(s);
  if (!Number.isFinite(value)) return null;
  return negative ? -value : value;
}

function typed(value: string | null, type: 'string' | 'number' | 'json', name: string): unknown {
  if (value === null || type === 'string') return value;
  if (type === 'number') return parseNumber(value);
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new NonRetryableError(
      'EXTRACT_INVALID',
      `extract "${name}" is not JSON: ${truncate(error instanceof Error ? error.message : String(error), 200)}`,
    );
  }
}

// Rows of a table as records keyed by the header cells' text: the first row of <thead>, else the
// table's first row. Rows of nested tables are not the table's (HTMLTableElement.rows).
const TABLE_SCRIPT = `
var table = arguments[0];
if (!table || table.tagName !== 'TABLE') return { notTable: table ? table.tagName : null };
var text = function (cell) { var t = typeof cell.innerText === 'string' ? cell.innerText : cell.textContent; return (t || '').trim(); };
var rows = Array.prototype.slice.call(table.rows);
var head = table.tHead && table.tHead.rows.length > 0 ? table.tHead.rows[0] : rows[0];
if (!head) return { headers: [], rows: [] };
var body = rows.filter(function (row) {
  return row !== head && !(row.parentNode && (row.parentNode.tagName === 'THEAD' || row.parentNode.tagName === 'TFOOT'));
});
return {
  headers: Array.prototype.map.call(head.cells, text),
  rows: body.map(function (row) { return Array.prototype.map.call(row.cells, text); })
};`;

/** Header texts as keys: an empty or repeated header becomes `col<n>` (n: the column from 1). */
export function tableKeys(headers: string[]): string[] {
  const seen = new Set<string>();
  const counts = new Map<string, number>();
  for (const h of headers) counts.set(h, (counts.get(h) ?? 0) + 1);
  return headers.map((h, i) => {
    const key = h === '' || (counts.get(h) ?? 0) > 1 || seen.has(h) ? `col${i + 1}` : h;
    seen.add(key);
    return key;
  });
}

async function extractTable(spec: StepSpec<'extract'>, ctx: StepContext): Promise<unknown> {
  const table = await firstElement(ctx.session, spec.selector, ctx.scope);
  if (table === undefined) return null;
  const answer = (await ctx.session.executeScript(TABLE_SCRIPT, [elementRef(table)])) as
    | { notTable: string | null }
    | { headers: string[]; rows: string[][] };
  if ('notTable' in answer) {
    throw new NonRetryableError(
      'EXTRACT_INVALID',
      `extract "${spec.name}" with table: "${truncate(spec.selector, 200)}" is a <${String(answer.notTable).toLowerCase()}>, not a <table>`,
    );
  }
  const keys = tableKeys(answer.headers);
  return answer.rows.map((cells) => {
    // Own properties only (a header "__proto__" stays a plain key).
    const record: Record<string, string> = {};
    for (const [i, cell] of cells.entries()) {
      Object.defineProperty(record, keys[i] ?? `col${i + 1}`, {
        value: cell,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return record;
  });
}

/**
 * `extract`: the first match's text (or attribute), every match's with `all`, a table's rows as
 * records with `table`; `type` number/json converts each value (a JSON parse error → EXTRACT_INVALID).
 */
export async function extract(spec: StepSpec<'extract'>, ctx: StepContext): Promise<void> {
  if (spec.table) {
    ctx.data.set(spec.name, await extractTable(spec, ctx));
    return;
  }
  const values = await readElements(ctx.session, spec.selector, {
    attr: spec.attr,
    all: spec.all ?? false,
    scope: ctx.scope,
  });
  ctx.data.set(spec.name, extractedValue(spec, values));
}

/** What a plain (not `table`) extract keeps of the values read: a list with `all`, else the first or null. */
export function extractedValue(spec: StepSpec<'extract'>, values: Array<string | null>): unknown {
  const type = spec.type ?? 'string';
  // `all`: a list (elements without the attribute are left out); else the first or null.
  return spec.all
    ? values.filter((v): v is string => v !== null).map((v) => typed(v, type, spec.name))
    : typed(values[0] ?? null, type, spec.name);
}
