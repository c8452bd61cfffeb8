import { parser } from '@prometheus-io/lezer-promql';
import type { Registry } from 'prom-client';

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

// PromQL read with Prometheus' own grammar (@prometheus-io/lezer-promql, the parser of
// Prometheus' web UI) and checked against the metrics Fleet's code registers: every series an
// expression selects must exist, be of a type its function makes sense on, and carry the labels
// the expression matches or groups on.

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface MetricInfo {
  name: string;
  type: MetricType;
  labels: ReadonlySet<string>;
}

/** Labels Prometheus adds to every scraped series (the scrape configuration's target labels). */
export const TARGET_LABELS = new Set(['job', 'instance']);

/** Series Prometheus makes itself for each target (only `up` is used here). */
const SYNTHETIC: MetricInfo[] = [{ name: 'up', type: 'gauge', labels: new Set() }];

/** Every metric of these registries, by name, as prom-client knows them (real names, types, labels). */
export async function metricsOf(...registries: Registry[]): Promise<Map<string, MetricInfo>> {
  const byName = new Map<string, MetricInfo>(SYNTHETIC.map((m) => [m.name, m]));
  for (const registry of registries) {
    // The JSON form runs every scrape-time collector, as a scrape would; the label names are the
    // ones each metric was declared with.
    for (const { name, type } of await registry.getMetricsAsJSON()) {
      const declared = registry.getSingleMetric(name) as unknown as { labelNames?: string[] };
      byName.set(name, {
        name,
        type: String(type) as MetricType,
        labels: new Set(declared.labelNames ?? []),
      });
    }
  }
  return byName;
}

/** A series name resolved to its metric: `x_bucket` of histogram `x` is `x` with suffix `bucket`. */
export interface Resolved {
  metric: MetricInfo;
  suffix?: 'bucket' | 'sum' | 'count';
}

export function resolveSeries(series: string, metrics: Map<string, MetricInfo>): Resolved | undefined {
  const exact = metrics.get(series);
  // A histogram or summary has no series under its bare name: only its suffixed ones.
  if (exact) return exact.type === 'histogram' || exact.type === 'summary' ? undefined : { metric: exact };
  const m = /^(.*)_(bucket|sum|count)$/.exec(series);
  const base = m?.[1] ? metrics.get(m[1]) : undefined;
  if (!base || !m) return undefined;
  const suffix = m[2] as 'bucket' | 'sum' | 'count';
  if (base.type === 'histogram') return { metric: base, suffix };
  if (base.type === 'summary' && suffix !== 'bucket') return { metric: base, suffix };
  return undefined;
}

/** The labels a resolved series carries: its own, the target labels, `le` on buckets. */
function labelsOf(r: Resolved): Set<string> {
  const labels = new Set([...r.metric.labels, ...TARGET_LABELS]);
  if (r.suffix === 'bucket') labels.add('le');
  if (r.metric.type === 'summary' && !r.suffix) labels.add('quantile');
  return labels;
}

/** Functions over a counter's increase: their argument must be a counter (or a histogram's parts). */
const COUNTER_FUNCTIONS = new Set(['rate', 'irate', 'increase', 'resets']);
/** Functions that read a gauge's level over time: wrong on a counter. */
const GAUGE_FUNCTIONS = new Set(['delta', 'idelta', 'deriv', 'predict_linear']);

export interface Analysis {
  /** What is wrong, one sentence each (empty: the expression is sound). */
  problems: string[];
  /** The metrics (base names) the expression reads. */
  metrics: Set<string>;
  /** Values the expression matches `job` against with `=`. */
  jobs: Set<string>;
  /** Every label any series of the expression carries (what legends and annotations may name). */
  labels: Set<string>;
}

const textOf = (expr: string, node: SyntaxNode) => expr.slice(node.from, node.to);

function descendants(node: SyntaxNode, name: string): SyntaxNode[] {
  const found: SyntaxNode[] = [];
  const cursor = node.cursor();
  do {
    if (cursor.name === name) found.push(cursor.node);
  } while (cursor.next() && cursor.from < node.to);
  return found.filter((n) => n.from >= node.from && n.to <= node.to);
}

export function analyse(expr: string, metrics: Map<string, MetricInfo>): Analysis {
  const out: Analysis = { problems: [], metrics: new Set(), jobs: new Set(), labels: new Set() };
  const tree = parser.parse(expr);
  const top = tree.topNode;
  tree.iterate({
    enter: (n) => {
      if (n.type.isError)
        out.problems.push(`does not parse at ${n.from}: "${expr.slice(n.from, n.from + 30)}"`);
    },
  });
  if (out.problems.length) return out;

  const resolved = new Map<number, Resolved>();
  for (const sel of descendants(top, 'VectorSelector')) {
    const id = sel.getChild('Identifier');
    if (!id) {
      out.problems.push(`"${textOf(expr, sel)}" selects no metric by name`);
      continue;
    }
    const series = textOf(expr, id);
    const r = resolveSeries(series, metrics);
    if (!r) {
      out.problems.push(`${series} is not a series of any metric the code registers`);
      continue;
    }
    resolved.set(sel.from, r);
    out.metrics.add(r.metric.name);
    const allowed = labelsOf(r);
    for (const label of allowed) out.labels.add(label);
    for (const matcher of descendants(sel, 'UnquotedLabelMatcher')) {
      const label = textOf(expr, matcher.getChild('LabelName')!);
      if (!allowed.has(label)) out.problems.push(`${series} has no label "${label}"`);
      const op = matcher.getChild('MatchOp');
      const value = matcher.getChild('StringLiteral');
      if (label === 'job' && op && textOf(expr, op) === '=' && value)
        out.jobs.add(JSON.parse(textOf(expr, value)));
    }
  }
  /** Selectors (resolved) inside a node. */
  const inside = (node: SyntaxNode) =>
    descendants(node, 'VectorSelector')
      .map((s) => ({ text: textOf(expr, s), r: resolved.get(s.from) }))
      .filter((s): s is { text: string; r: Resolved } => s.r !== undefined);
  checkFunctions(expr, top, inside, out);
  checkGrouping(expr, top, inside, out);
  return out;
}

type Inside = (node: SyntaxNode) => Array<{ text: string; r: Resolved }>;

function checkFunctions(expr: string, top: SyntaxNode, inside: Inside, out: Analysis): void {
  for (const call of descendants(top, 'FunctionCall')) {
    const fn = textOf(expr, call.getChild('FunctionIdentifier')!);
    const body = call.getChild('FunctionCallBody')!;
    for (const { text, r } of inside(body)) {
      const what = `${r.metric.type}${r.suffix ? `'s _${r.suffix}` : ''}`;
      if (COUNTER_FUNCTIONS.has(fn) && r.metric.type !== 'counter' && !r.suffix)
        out.problems.push(`${fn}() over ${text}, a ${what}: ${fn} needs a counter`);
      if (GAUGE_FUNCTIONS.has(fn) && (r.metric.type === 'counter' || r.suffix))
        out.problems.push(`${fn}() over ${text}, a ${what}: use rate/increase on counters`);
      if (fn === 'histogram_quantile' && !(r.metric.type === 'histogram' && r.suffix === 'bucket'))
        out.problems.push(
          `histogram_quantile() over ${text}, a ${what}: it needs a histogram's _bucket series`,
        );
    }
    if (fn === 'histogram_quantile') {
      // Every aggregation between the quantile and its buckets must keep `le`.
      for (const agg of descendants(body, 'AggregateExpr')) {
        const modifier = agg.getChild('AggregateModifier');
        const grouping = modifier ? descendants(modifier, 'LabelName').map((l) => textOf(expr, l)) : [];
        const by = modifier?.getChild('By') !== null && modifier !== null;
        const keepsLe = by ? grouping.includes('le') : modifier !== null && !grouping.includes('le');
        if (!keepsLe)
          out.problems.push(`"${textOf(expr, agg)}" drops the "le" label histogram_quantile needs`);
      }
    }
  }
}

function checkGrouping(expr: string, top: SyntaxNode, inside: Inside, out: Analysis): void {
  const available = (node: SyntaxNode) => new Set(inside(node).flatMap(({ r }) => [...labelsOf(r)]));
  for (const agg of descendants(top, 'AggregateExpr')) {
    const modifier = agg.getChild('AggregateModifier');
    if (!modifier) continue;
    const labels = available(agg.getChild('FunctionCallBody') ?? agg);
    for (const l of descendants(modifier, 'LabelName')) {
      const label = textOf(expr, l);
      if (!labels.has(label))
        out.problems.push(`"${textOf(expr, agg)}" groups by "${label}", which none of its series has`);
    }
  }
  for (const clause of descendants(top, 'MatchingModifierClause')) {
    const binary = clause.parent!;
    const labels = available(binary);
    for (const l of descendants(clause, 'LabelName')) {
      const label = textOf(expr, l);
      if (!labels.has(label))
        out.problems.push(`"${textOf(expr, clause)}" matches on "${label}", which no series has`);
    }
  }
}

/** Grafana's built-in interval variables, replaced by a duration so the query parses as PromQL. */
export function withoutGrafanaIntervals(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}/g, '5m');
}
