import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './repo-root.js';

/** One figure of a benchmark, as written to bench/results/<benchmark>.json. */
export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  /** The same-run baseline this figure is compared with, or null when there is none. */
  baseline: number | null;
  /** value / baseline (or baseline / value for "lower is better" figures, see `higherIsBetter`). */
  ratio: number | null;
  /** The goal for `ratio` (for `value` when there is no baseline), as text: e.g. ">= 0.5" or "<= 1.5". */
  goal: string | null;
  met: boolean | null;
}

export interface FigureInput {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  /** Goal on value/baseline (on value when there is no baseline): `{ atLeast: 0.5 }` or `{ atMost: 1.5 }`. */
  goal?: { atLeast: number } | { atMost: number };
}

export function figure(input: FigureInput): BenchFigure {
  const ratio = input.baseline ? input.value / input.baseline : null;
  let goal: string | null = null;
  let met: boolean | null = null;
  if (input.goal) {
    const measured = ratio ?? input.value;
    if ('atLeast' in input.goal) {
      goal = `>= ${input.goal.atLeast}`;
      met = measured >= input.goal.atLeast;
    } else {
      goal = `<= ${input.goal.atMost}`;
      met = measured <= input.goal.atMost;
    }
  }
  return {
    name: input.name,
    value: round(input.value),
    unit: input.unit,
    baseline: input.baseline === undefined ? null : round(input.baseline),
    ratio: ratio === null ? null : round(ratio),
    goal,
    met,
  };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Print a table and write bench/results/<benchmark>.json at the repository root. */
export function reportBench(benchmark: string, figures: BenchFigure[]): string {
  const rows = figures.map((f) => [
    f.name,
    `${f.value} ${f.unit}`,
    f.baseline === null ? '' : `${f.baseline} ${f.unit}`,
    f.ratio === null ? '' : `${f.ratio}x`,
    f.goal ?? '',
    f.met === null ? '' : f.met ? 'met' : 'NOT met',
  ]);
  const head = ['figure', 'value', 'baseline', 'ratio', 'goal', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(`\n== bench: ${benchmark}`);
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  const file = join(REPO_ROOT, 'bench', 'results', `${benchmark}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
  console.log(`written to ${file}`);
  return file;
}

/** A benchmark knob from the environment: a whole number >= 1, `fallback` when unset or empty. */
export function benchSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number >= 1`);
  return value;
}

/** Percentile of a list of numbers (nearest-rank). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
