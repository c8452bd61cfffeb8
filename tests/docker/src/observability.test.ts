/**
 * deploy/observability against the code: the alerting rules, the Grafana dashboard and the scrape
 * configuration may only use metrics, types and labels that Fleet's processes really register.
 * The registry is built as the apps build it (`new ApiMetrics()` + `collectFrom`, `new
 * WorkerMetrics(...)`, Node's process metrics on), so the names and types are prom-client's own.
 * With promtool on PATH (or PROMTOOL), Prometheus' own checks and the rule unit tests run too.
 */
import { spawnSync } from 'node:child_process';
import { ApiMetrics, WorkerMetrics } from '@fleet/metrics';
import { parse } from 'yaml';
import { analyse, type MetricInfo, metricsOf, withoutGrafanaIntervals } from './promql.js';
import { APPS, at, read } from './support.js';

interface Rule {
  alert?: string;
  expr?: unknown;
  for?: unknown;
  labels?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}
interface Panel {
  id?: number;
  type?: string;
  title?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  datasource?: { uid?: string };
  targets?: Array<{ refId?: string; expr?: string; legendFormat?: string }>;
}

const rules = parse(read('deploy/observability/fleet-alerts.yml')) as {
  groups: Array<{ name: string; rules: Rule[] }>;
};
const dashboard = JSON.parse(read('deploy/observability/fleet-dashboard.json')) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query?: unknown }> };
};
const scrape = parse(read('deploy/observability/prometheus.yml')) as {
  rule_files: string[];
  scrape_configs: Array<{
    job_name: string;
    metrics_path?: string;
    static_configs: Array<{ targets: string[] }>;
  }>;
};
const alerts = rules.groups.flatMap((g) => g.rules);
const panels = dashboard.panels.filter((p) => p.type !== 'row');
const dashboardExprs = panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr ?? '', legend: t.legendFormat ?? '' })),
);

let metrics: Map<string, MetricInfo>;

beforeAll(async () => {
  const api = new ApiMetrics();
  // In-memory sources stand in for Redis: only the names, types and labels are read here.
  api.collectFrom({
    queueCounts: async () => ({}),
    poolCounts: async () => [],
    tenantCounts: async () => [],
    timeoutMs: 1000,
  });
  const worker = new WorkerMetrics({
    sessionStats: () => ({ starts: 0, warmReuses: 0, lost: 0, quarantined: 0 }),
    heldProfiles: () => 0,
  });
  metrics = await metricsOf(api.registry, worker.registry);
});

describe('the PromQL checker', () => {
  // Each mistake the checker exists to catch, so a checker that stopped looking fails here.
  it.each([
    ['an unknown metric', 'rate(fleet_items_totl[5m])', 'not a series'],
    ["a histogram's bare name", 'fleet_item_duration_seconds', 'not a series'],
    ['rate over a gauge', 'rate(fleet_queue_jobs[5m])', 'needs a counter'],
    ['deriv over a counter', 'deriv(fleet_items_total[5m])', 'use rate/increase'],
    [
      'histogram_quantile over a counter',
      'histogram_quantile(0.9, rate(fleet_items_total[5m]))',
      'needs a histogram',
    ],
    [
      'an aggregation that drops le',
      'histogram_quantile(0.9, sum(rate(fleet_item_duration_seconds_bucket[5m])))',
      'drops the "le"',
    ],
    ['a label the metric lacks', 'fleet_queue_jobs{pool="a"}', 'has no label "pool"'],
    ['le on a counter', 'fleet_items_total{le="1"}', 'has no label "le"'],
    ['grouping by a missing label', 'sum by (code) (fleet_queue_jobs)', 'groups by "code"'],
    [
      'matching on a missing label',
      'fleet_queue_jobs and on (pool) fleet_worker_slots_allowed',
      'matches on "pool"',
    ],
    ['a syntax error', 'sum(rate(fleet_items_total[5m])', 'does not parse'],
  ])('finds %s', (_what, expr, problem) => {
    expect(analyse(expr, metrics).problems.join('\n')).toContain(problem);
  });

  it('accepts sound expressions: histogram parts, target labels, up, subqueries', () => {
    for (const expr of [
      'histogram_quantile(0.5, sum by (le, state) (rate(fleet_item_duration_seconds_bucket{state="completed"}[5m])))',
      'sum(rate(fleet_item_duration_seconds_sum[5m])) / sum(rate(fleet_item_duration_seconds_count[5m]))',
      'up{job="fleet-worker"} == 0',
      'deriv(max(sum by (instance) (fleet_queue_jobs))[30m:1m]) > 0',
      'rate(process_cpu_user_seconds_total[5m])',
    ])
      expect({ expr, problems: analyse(expr, metrics).problems }).toEqual({ expr, problems: [] });
  });
});

describe('the alerting rules (deploy/observability/fleet-alerts.yml)', () => {
  it('are Prometheus rule groups: named alerts with an expr, a for, a severity and annotations', () => {
    expect(rules.groups.length).toBeGreaterThan(0);
    const names = alerts.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const rule of alerts) {
      expect({ alert: rule.alert, ok: /^Fleet[A-Z][A-Za-z]+$/.test(String(rule.alert)) }).toEqual({
        alert: rule.alert,
        ok: true,
      });
      expect(typeof rule.expr).toBe('string');
      expect({ alert: rule.alert, for: rule.for }).toEqual({
        alert: rule.alert,
        for: expect.stringMatching(/^(\d+[smhd])+$/),
      });
      expect(['critical', 'warning']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toEqual(expect.any(String));
      expect(rule.annotations?.description).toEqual(expect.any(String));
    }
  });

  it('use only metrics, types and labels the code registers, and jobs the scrape configuration names', () => {
    const jobs = new Set(scrape.scrape_configs.map((c) => c.job_name));
    const problems = alerts.flatMap((rule) => {
      const a = analyse(String(rule.expr), metrics);
      const badJobs = [...a.jobs].filter((j) => !jobs.has(j)).map((j) => `job "${j}" is not scraped`);
      // {{ $labels.x }} in the annotations: a label the expression's series carry.
      const named = [...JSON.stringify(rule.annotations).matchAll(/\$labels\.(\w+)/g)].map((m) =>
        String(m[1]),
      );
      const unknown = named
        .filter((l) => !a.labels.has(l))
        .map((l) => `annotations name $labels.${l}, no series has it`);
      return [...a.problems, ...badJobs, ...unknown].map((p) => `${rule.alert}: ${p}`);
    });
    expect(problems).toEqual([]);
  });

  it('cover the queue without progress, quarantines, workers down or starved, Redis errors and lease losses', () => {
    const used = (name: string) =>
      analyse(String(alerts.find((r) => r.alert === name)?.expr ?? ''), metrics).metrics;
    expect([...used('FleetQueueStuck')].sort()).toEqual(['fleet_items_total', 'fleet_queue_jobs']);
    expect(used('FleetProfilesQuarantined')).toEqual(new Set(['fleet_pool_profiles']));
    expect(used('FleetQuarantineRate')).toContain('fleet_profiles_quarantined_total');
    expect(used('FleetWorkerDown')).toEqual(new Set(['up']));
    expect(used('FleetWorkerNotTakingWork')).toEqual(new Set(['fleet_worker_slots_allowed']));
    expect(used('FleetRedisErrors')).toEqual(new Set(['fleet_redis_errors_total']));
    expect(used('FleetLeaseLosses')).toEqual(new Set(['fleet_leases_lost_total']));
  });
});

describe('the Grafana dashboard (deploy/observability/fleet-dashboard.json)', () => {
  it('is a dashboard of placed panels, each with queries on the chosen Prometheus', () => {
    expect(dashboard).toMatchObject({ uid: expect.any(String), title: expect.any(String) });
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const variables = new Set(dashboard.templating.list.map((v) => v.name));
    expect(dashboard.templating.list.find((v) => v.type === 'datasource')).toMatchObject({
      query: 'prometheus',
    });
    for (const panel of panels) {
      const g = panel.gridPos;
      expect({
        panel: panel.title,
        placed: !!g && g.x >= 0 && g.w > 0 && g.h > 0 && g.x + g.w <= 24,
      }).toEqual({ panel: panel.title, placed: true });
      expect({ panel: panel.title, datasource: panel.datasource?.uid }).toEqual({
        panel: panel.title,
        datasource: '$' + '{datasource}', // Grafana's variable syntax, not a template string
      });
      const refIds = (panel.targets ?? []).map((t) => t.refId);
      expect(refIds.length).toBeGreaterThan(0);
      expect(new Set(refIds).size).toBe(refIds.length);
    }
    // Every $variable a query uses is defined (Grafana's own $__ intervals aside).
    for (const { where, expr } of dashboardExprs)
      for (const [, name] of withoutGrafanaIntervals(expr).matchAll(/\$\{?(\w+)/g))
        expect({ where, variable: name, defined: variables.has(String(name)) }).toEqual({
          where,
          variable: name,
          defined: true,
        });
  });

  it('queries only metrics, types and labels the code registers', () => {
    const problems = dashboardExprs.flatMap(({ where, expr, legend }) => {
      const a = analyse(withoutGrafanaIntervals(expr), metrics);
      // {{label}} in a legend: a label the query's series carry.
      const named = [...legend.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => String(m[1]));
      const unknown = named
        .filter((l) => !a.labels.has(l))
        .map((l) => `legend names {{${l}}}, no series has it`);
      return [...a.problems, ...unknown].map((p) => `${where}: ${p}`);
    });
    // label_values(metric, label) of the variables.
    for (const v of dashboard.templating.list) {
      const q = typeof v.query === 'object' && v.query ? (v.query as { query?: string }).query : v.query;
      const m = /^label_values\((\w+),\s*(\w+)\)$/.exec(String(q));
      if (v.type !== 'query') continue;
      if (!m?.[1] || !m[2]) problems.push(`variable ${v.name}: not label_values(metric, label)`);
      else if (!metrics.get(m[1])?.labels.has(m[2]))
        problems.push(`variable ${v.name}: ${m[1]} has no label ${m[2]}`);
    }
    expect(problems).toEqual([]);
  });

  it("shows every one of Fleet's own metrics (a new metric fails here until it has a panel)", () => {
    const shown = new Set(
      dashboardExprs.flatMap(({ expr }) => [...analyse(withoutGrafanaIntervals(expr), metrics).metrics]),
    );
    const fleet = [...metrics.keys()].filter((name) => name.startsWith('fleet_'));
    expect(fleet.length).toBeGreaterThan(15);
    expect(fleet.filter((name) => !shown.has(name))).toEqual([]);
  });
});

describe('the scrape configuration (deploy/observability/prometheus.yml)', () => {
  it("scrapes the API's and the workers' /metrics on their default ports and loads the rules", () => {
    expect(scrape.rule_files).toEqual(['fleet-alerts.yml']);
    const target = (job: string) => {
      const config = scrape.scrape_configs.find((c) => c.job_name === job);
      expect(config?.metrics_path ?? '/metrics').toBe('/metrics');
      return config?.static_configs[0]?.targets[0];
    };
    const defaultPort = (app: 'api' | 'worker') => {
      const info = APPS[app]!;
      return (info.schema[info.portKey] as { default: number }).default;
    };
    expect(target('fleet-api')).toBe(`127.0.0.1:${defaultPort('api')}`);
    expect(target('fleet-worker')).toBe(`127.0.0.1:${defaultPort('worker')}`);
  });
});

// promtool is not in scripts/setup.sh (Debian ships it only inside the `prometheus` server
// package, whose install starts a server): where it is present, Prometheus checks the files itself.
const promtool =
  process.env.PROMTOOL ??
  (spawnSync('sh', ['-c', 'command -v promtool']).stdout?.toString().trim() || undefined);
(promtool ? describe : describe.skip)(`promtool (${promtool ?? 'not installed: skipped'})`, () => {
  const run = (...args: string[]) =>
    spawnSync(promtool!, args, { cwd: at('deploy/observability'), encoding: 'utf8' });

  it('accepts the scrape configuration and the rules', () => {
    const check = run('check', 'config', 'prometheus.yml');
    expect({ status: check.status, out: check.stdout + check.stderr }).toMatchObject({ status: 0 });
  });

  it('passes the rules unit tests (fleet-alerts.test.yml: each alert fires, and stays quiet, on made-up series)', () => {
    const test = run('test', 'rules', 'fleet-alerts.test.yml');
    expect({ status: test.status, out: test.stdout + test.stderr }).toMatchObject({ status: 0 });
  });
});
