/**
 * The commands README.md tells a reader to run, and what becomes of each in the tests: run by the
 * README tour (readme-tour.e2e.test.ts), run by another test, or skipped for a stated reason. A
 * command added to the README is none of these until someone decides, so
 * readme-tour.e2e.test.ts fails on it (and on an entry here the README no longer has).
 */

export interface ReadmeCommand {
  /** The command as written, whitespace collapsed (an inline span may wrap across lines). */
  text: string;
  /** The README section (## or ### heading) it is under. */
  section: string;
}

/** Inline code that is a command: `pnpm …` or `fleet …`, perhaps after VAR=value assignments. */
const INLINE_COMMAND = /^(?:[A-Z][A-Z0-9_]*=\S*\s+)*(?:pnpm|fleet)\s+\S/;

/**
 * Every command of every fenced shell block (one per logical line: `\` continuations joined,
 * comments dropped) and every inline `pnpm …` / `fleet …` span, in README order, each once.
 */
export function readmeCommands(markdown: string): ReadmeCommand[] {
  const found: ReadmeCommand[] = [];
  const seen = new Set<string>();
  const add = (text: string, section: string) => {
    const clean = text.replace(/\s+/g, ' ').trim();
    if (clean && !seen.has(clean)) {
      seen.add(clean);
      found.push({ text: clean, section });
    }
  };
  let section = '';
  let fence: string | undefined; // the language of the open fenced block
  let logical = '';
  for (const line of markdown.split('\n')) {
    const opens = /^```(\S*)/.exec(line);
    if (fence === undefined && opens) {
      fence = opens[1] ?? '';
      continue;
    }
    if (fence !== undefined) {
      if (line.startsWith('```')) fence = undefined;
      else if (/^(sh|bash|shell|console)$/.test(fence)) {
        logical += line.replace(/\\$/, ' ');
        if (line.endsWith('\\')) continue;
        add(withoutComment(logical), section);
        logical = '';
      }
      continue;
    }
    const heading = /^#{2,3} (.+)/.exec(line);
    if (heading?.[1]) section = heading[1];
  }
  // Inline spans: the text outside fenced blocks, so a span may wrap across a line break.
  let prose = '';
  section = '';
  for (const part of markdown.split(/^```[\s\S]*?^```$/m)) prose += part;
  for (const paragraph of prose.split(/\n(?=#{2,3} )/)) {
    section = /^#{2,3} (.+)/.exec(paragraph)?.[1] ?? section;
    let last: string | undefined;
    for (const [, raw] of paragraph.matchAll(/`([^`]+)`/g)) {
      const span = (raw ?? '').replace(/\s+/g, ' ').trim();
      if (INLINE_COMMAND.test(span)) {
        last = span;
        add(span, section);
      } else if (span.startsWith('--') && last) {
        // Other flags for the command just named ("`--csv --out results.csv` as CSV").
        add(`${last.split(' --')[0]} ${span}`, section);
      }
    }
  }
  return found;
}

/** A shell line without its trailing `# comment` (a # that starts a word, outside quotes). */
function withoutComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) return line.slice(0, i);
  }
  return line;
}

/**
 * Commands another test runs as the README writes them. The by-hand block is read from the README
 * by readme-by-hand.e2e.test.ts and run whole, so each of its lines is listed by its section.
 */
export const RUN_ELSEWHERE_SECTIONS: Record<string, string> = {
  'Run the pieces by hand': 'readme-by-hand.e2e.test.ts runs this block as written (ports and Redis moved)',
};

/** Commands the tour does not run, and why. Keep each reason true. */
export const SKIPPED: Record<string, string> = {
  // Installing the machine and whole suites: CI does these (.ci/run), a test cannot.
  './scripts/setup.sh && pnpm start':
    'setup.sh installs apt packages as root (CI runs it in .ci/run); the tour runs pnpm start',
  './scripts/setup.sh && pnpm test': 'setup.sh installs apt packages; pnpm test is CI itself (.ci/run)',
  'pnpm install --frozen-lockfile': 'what setup.sh runs last; CI installs the same way',
  'kubectl create namespace fleet':
    'needs a Kubernetes cluster; docker-tests k8s.test.ts renders and checks the overlays',
  "kubectl create secret generic fleet-secrets -n fleet --from-literal=FLEET_API_KEYS='[…]' …":
    'needs a Kubernetes cluster (and stands for a longer command in deploy/k8s/README.md)',
  'kubectl apply -k deploy/k8s/overlays/local-launcher':
    'needs a Kubernetes cluster; docker-tests k8s.test.ts renders this overlay and validates every object',
  'pnpm test': 'the whole suite: CI runs it (.ci/run); this test is part of it',
  'pnpm lint': 'CI runs it (.ci/run)',
  'pnpm typecheck': 'CI runs it (.ci/run)',
  'pnpm build': 'the same tsc as pnpm typecheck, which CI runs',
  'pnpm format': 'rewrites files in place; pnpm lint (CI) checks the formatting',
  'pnpm docs:config':
    'rewrites the README table; apps/cli config-table.test.ts fails when the table is not what it writes',
  'pnpm docs:errors':
    'rewrites the README error tables; apps/cli error-tables.test.ts fails when they are not what it writes',
  'pnpm test:faults': 'part of pnpm test (CI), ~5 min',
  'pnpm test:hosts': 'part of pnpm test (CI), ~4 min, root only',
  'pnpm test:cluster': 'CI runs it (.ci/run)',
  'pnpm --filter @fleet/e2e test': 'part of pnpm test (CI); this test is one of its files',
  'FLEET_TEST_REDIS=cluster pnpm --filter @fleet/e2e test':
    'every e2e file on a 6-node Cluster, ~15 min; CI runs the cluster subset (pnpm test:cluster)',
  'pnpm --filter @fleet/api test': 'part of pnpm test (CI)',
  'pnpm --filter @fleet/docker-tests test': 'part of pnpm test (CI)',
  'pnpm bench': 'minutes of benchmarks that rewrite bench/results/*.json; run by hand',
  'pnpm bench:soak': '~40 min; not in CI by design (README says so)',
  'pnpm --filter @fleet/worker bench:fairness':
    'a minute of benchmark that rewrites bench/results/fairness.json; run by hand',
  // Variants and placeholders of what the tour runs.
  'pnpm fleet …': 'stands for any CLI command; the tour runs pnpm fleet --help and the commands below',
  'pnpm start -- --workers 3 --profiles 6':
    'the tour’s pnpm start with more processes (3 workers on 2 shared cores is too slow for CI); stack.e2e runs --workers 2 and apps/cli up-settings.test.ts parses these flags',
  'pnpm --filter @fleet/worker start':
    'how to add a worker to a running fleet; readme-by-hand.e2e.test.ts runs this exact command',
  'OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 pnpm start':
    'the tour’s pnpm start with tracing on, to a collector the reader runs; tracing.e2e.test.ts runs launcher, API and worker with this variable pointing at a real OTLP receiver',
  'pnpm fleet profiles import --pool default --folder <folder id>':
    'needs a Multilogin X account and one of its folders (cloud, not loopback)',
};
