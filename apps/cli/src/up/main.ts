/**
 * `fleet up` — the whole fleet on this machine (what `pnpm start` runs). See `--help`.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '@fleet/config';
import { REPO_ROOT } from '@fleet/testing';
import { type RunningStack, startStack, UpError } from './stack.js';
import { DEFAULT_PORTS, type UpSettings, upSettings } from './up-settings.js';

const USAGE = `usage: fleet up [--profiles N] [--workers N]

Starts the whole fleet on this machine: Redis (REDIS_URL if it answers, else a throwaway
redis-server), the launcher with N demo profiles in pool "default" (default 3), the API, the
notifier, N worker processes (default 1) and a small demo shop for examples/demo.json.
Prints the URLs and the API key, writes them to .fleet/up.json for \`pnpm fleet\`; Ctrl-C stops
everything (browsers and the redis-server it started included).

Ports (env, defaults from the apps' settings): ${Object.entries(DEFAULT_PORTS)
  .map(([env, port]) => `${env} ${port}`)
  .join(', ')}
(WORKER_PORT +1 per worker). Also REDIS_URL, FLEET_PREFIX, FLEET_DATA_DIR (./data), FLEET_UP_FILE,
LOG_LEVEL, LAUNCHER_CHROMIUM_PATH, LAUNCHER_CHROMEDRIVER_PATH, FLEET_SECRET_KEY.`;

function fail(message: string, code = 2): never {
  process.stderr.write(`fleet up: ${message}\n`);
  process.exit(code);
}

function count(value: string | undefined, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) fail(`--${name} takes a whole number from 1 to ${max}`);
  return n;
}

export async function main(argv: string[]): Promise<void> {
  let args: ReturnType<
    typeof parseArgs<{
      options: {
        profiles: { type: 'string' };
        workers: { type: 'string' };
        help: { type: 'boolean'; short: 'h' };
      };
    }>
  >;
  try {
    args = parseArgs({
      // `pnpm start -- --workers 3` hands the `--` on: options after it are still options.
      args: argv[0] === '--' ? argv.slice(1) : argv,
      options: {
        profiles: { type: 'string' },
        workers: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    });
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (args.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let settings: UpSettings;
  try {
    settings = upSettings(process.env, REPO_ROOT);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    fail(error.message);
  }
  const say = (line: string) => process.stdout.write(`${line}\n`);
  let stack: RunningStack;
  try {
    stack = await startStack({
      ...settings,
      profiles: count(args.values.profiles, 'profiles', 3, 50),
      workers: count(args.values.workers, 'workers', 1, 32),
      say,
    });
  } catch (error) {
    fail(
      error instanceof UpError ? error.message : `could not start the fleet: ${(error as Error).message}`,
      1,
    );
  }
  const i = stack.info;
  say(`
Fleet is up.
  API         ${i.apiUrl}      docs ${i.docsUrl}
  Dashboard   ${i.dashboardUrl}
  Bull Board  ${i.boardUrl}
  Metrics     ${workerMetrics(i.workerMetricsUrls)}
  Notifier    ${i.notifierUrl}
  Demo shop   ${i.demoUrl}
  API key     ${i.apiKey}   (admin; the CLI reads it from .fleet/up.json)

Try:   pnpm fleet submit examples/demo.json --watch
       pnpm fleet submit examples/demo-checkout.json --watch                 (log in, search, buy: steps)
       pnpm fleet submit examples/demo-shop-checkout.scenario.json --watch   (the same as a code scenario: scenarios/)
Logs:  ${join(settings.dataDir, 'logs')}/*.log      Ctrl-C stops everything.`);

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('\nstopping the fleet…');
    await stack.stop();
    say('stopped.');
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (stopping) return; // a second Ctrl-C: the stop already runs (it kills stragglers itself)
      void stop(0);
    });
  }
}

/** Where the items are counted: each worker's /metrics (the API's counts batches and pools). */
function workerMetrics(urls: string[]): string {
  if (urls.length === 0) return "the workers' /metrics (on the ports they picked: WORKER_PORT=0)";
  return `${urls.join('  ')}   (items, per worker; the API's /metrics: batches, pools)`;
}

// Run when started as `node src/up/main.ts` (pnpm start); `fleet up` imports it and calls main.
if (process.argv[1]?.endsWith('up/main.ts')) await main(process.argv.slice(2));
