/**
 * The soak's figures and file: each phase's series judged over its last quarter (soak-series.ts),
 * what its drain left, and every sample, written to bench/results/soak.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type BenchFigure, figure, REPO_ROOT } from '@fleet/testing';
import type { Sample } from './soak-probe.js';
import { judge, NOISE_SHARE, SERIES, type Verdict } from './soak-series.js';

/** Key families that belong to one batch or one event: none may outlive the retention. */
const PER_BATCH = /\{batch:\*\}|:dedupe:/;

const sumOf = (families: Record<string, number>, match: RegExp) =>
  Object.entries(families)
    .filter(([family]) => match.test(family))
    .reduce((sum, [, n]) => sum + n, 0);

/** Figures of one phase: one per series (growth in the last quarter against its allowance), then the drain. */
function phaseFigures(phase: string, samples: Sample[], verdicts: Record<string, Verdict>): BenchFigure[] {
  const figures: BenchFigure[] = [];
  for (const [series, verdict] of Object.entries(verdicts)) {
    const spec = SERIES[series]!;
    // ratio = growth / allowance: flat when <= 1, shrinking included (a quarter with too few samples
    // has no verdict).
    const f = figure({
      name: `${phase}: ${series}, growth over the last quarter (vs noise allowance max(${NOISE_SHARE * 100}% of mean, ${spec.floor} ${spec.unit}); mean ${Math.round(verdict.mean)})`,
      value: verdict.growth,
      unit: spec.unit,
      baseline: verdict.allowed,
      goal: { atMost: 1 },
    });
    figures.push(verdict.flat === null ? { ...f, goal: null, met: null } : f);
  }
  const drained = samples.filter((s) => s.phase === `${phase}-drain`).at(-1);
  const before = samples.find((s) => s.phase === phase);
  if (drained && before) {
    const left = sumOf(drained.families, PER_BATCH);
    figures.push(
      {
        name: `${phase}: keys of expired batches and events left after the drain (retention + 3 samples)`,
        value: left,
        unit: 'keys',
        baseline: null,
        ratio: null,
        goal: '= 0',
        met: left === 0,
      },
      figure({
        name: `${phase}: Redis keys after the drain (vs at the phase's start)`,
        value: drained.values.redisKeys ?? 0,
        unit: 'keys',
        baseline: before.values.redisKeys ?? 0,
      }),
      figure({
        name: `${phase}: Redis used_memory after the drain (vs at the phase's start)`,
        value: drained.values.redisUsedMemory ?? 0,
        unit: 'bytes',
        baseline: before.values.redisUsedMemory ?? 0,
      }),
    );
  }
  return figures;
}

export function writeSoakReport(samples: Sample[], run: Record<string, number>): string {
  const phases = [...new Set(samples.map((s) => s.phase).filter((p) => !p.endsWith('-drain')))];
  const verdicts: Record<string, Record<string, Verdict>> = {};
  const figures: BenchFigure[] = [];
  for (const phase of phases) {
    const ofPhase = samples.filter((s) => s.phase === phase);
    verdicts[phase] = {};
    for (const series of Object.keys(SERIES)) {
      const points = ofPhase
        .filter((s) => s.values[series] !== undefined)
        .map((s) => ({ t: s.t, v: s.values[series]! }));
      if (points.length > 0) verdicts[phase][series] = judge(points, SERIES[series]!);
    }
    figures.push(...phaseFigures(phase, samples, verdicts[phase]));
  }
  const file = join(REPO_ROOT, 'bench', 'results', 'soak.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ run, figures, verdicts, samples }, null, 2)}\n`);
  console.log('\n== bench: soak');
  for (const f of figures) {
    const verdict = f.met === null ? '' : f.met ? 'met' : 'NOT met';
    console.log(
      `${f.name}: ${f.value} ${f.unit}${f.baseline === null ? '' : ` (vs ${f.baseline})`} ${verdict}`,
    );
  }
  console.log(`written to ${file}`);
  const grown = figures.filter((f) => f.met === false).map((f) => f.name);
  if (grown.length > 0) console.log(`NOT flat / not drained:\n  ${grown.join('\n  ')}`);
  return file;
}
