/**
 * The whole stack as `pnpm start` runs it: `fleet up` in its own process starts the
 * launcher, API, notifier and two workers as separate processes; the CLI (another process)
 * submits the demo batch and watches it to the end; results, events and /metrics counters agree;
 * the README's @fleet/client program runs the demo batch too; SIGINT stops everything and leaves no
 * process, browser or port behind.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { product } from '@fleet/cli';
import { createRedis, RedisEventStream, RedisProfileStore } from '@fleet/redis';
import {
  chromiumsUnder,
  freePort,
  portOpen,
  testPrefix,
  testRedisEnv,
  testRedisTarget,
  waitFor,
} from '@fleet/testing';
import { fleetUpEnv } from './shell-runs.js';

const ROOT = resolve(__dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'fleet-stack-'));
const upFile = join(dir, 'up.json');
const prefix = testPrefix('stack');
let up: ChildProcess;
let upOutput = '';
let ports: { api: number; notifier: number; launcher: number; worker: number; demo: number };

async function twoFreePorts(): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p < 65000 && !(await portOpen(p + 1))) return p;
  }
}

/** Waits as the stack's slow starts need, saying what fleet up printed when it times out. */
const upWait = (timeoutMs: number) => ({
  timeoutMs,
  intervalMs: 200,
  context: () => `fleet up said:\n${upOutput}`,
});

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'apps/cli/src/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, FLEET_UP_FILE: upFile, FORCE_COLOR: '0' },
    encoding: 'utf8',
    timeout: 180_000,
  });
}

beforeAll(async () => {
  // Five distinct ports (freePort may hand the same one out twice) plus the second worker's.
  const taken = new Set<number>();
  const distinct = async (pick: () => Promise<number>) => {
    for (;;) {
      const p = await pick();
      if (!taken.has(p) && !taken.has(p + 1)) {
        taken.add(p);
        return p;
      }
    }
  };
  const worker = await distinct(twoFreePorts);
  taken.add(worker + 1);
  ports = {
    api: await distinct(freePort),
    notifier: await distinct(freePort),
    launcher: await distinct(freePort),
    worker,
    demo: await distinct(freePort),
  };
  up = spawn(
    process.execPath,
    ['--import', 'tsx', 'apps/cli/src/up/main.ts', '--profiles', '3', '--workers', '2'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        ...testRedisEnv(),
        ...fleetUpEnv(ports, { dir, upFile, prefix }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  up.stdout!.on('data', (d) => (upOutput += d));
  up.stderr!.on('data', (d) => (upOutput += d));
  await waitFor(
    'fleet up to say it is up',
    () => {
      if (up.exitCode !== null) throw new Error(`fleet up exited (${up.exitCode}):\n${upOutput}`);
      return upOutput.includes('Fleet is up');
    },
    upWait(200_000),
  );
}, 240_000);

afterAll(async () => {
  if (up && up.exitCode === null) {
    up.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
});

it('runs the demo batch submitted and watched through the CLI; results, events and metrics agree; Ctrl-C leaves nothing', async () => {
  const info = JSON.parse(readFileSync(upFile, 'utf8')) as {
    apiUrl: string;
    apiKey: string;
    workerMetricsUrls: string[];
  };
  expect(info.apiUrl).toBe(`http://127.0.0.1:${ports.api}`);
  expect(upOutput).toContain(info.apiKey);
  // Where the items are counted is printed: each worker's /metrics.
  const workerMetrics = [ports.worker, ports.worker + 1].map((p) => `http://127.0.0.1:${p}/metrics`);
  expect(info.workerMetricsUrls).toEqual(workerMetrics);
  for (const url of workerMetrics) expect(upOutput).toContain(url);

  // The example batch, pointed at this run's demo shop.
  /** An example batch file with the demo shop's port of this run, in the test's directory. */
  const example = (name: string) => {
    const file = join(dir, name);
    const text = readFileSync(join(ROOT, 'examples', name), 'utf8');
    writeFileSync(file, text.replaceAll(':3005/', `:${ports.demo}/`));
    return file;
  };
  const batchFile = example('demo.json');
  const submit = cli(['submit', batchFile, '--watch']);
  expect({ status: submit.status, stderr: submit.stderr }).toEqual({ status: 0, stderr: '' });
  const id = /batch (\S+) queued/.exec(submit.stdout)?.[1];
  expect(id).toBeDefined();
  expect(submit.stdout).toMatch(/12 completed/);

  const out = join(dir, 'results.jsonl');
  const results = cli(['batches', 'results', id!, '--out', out]);
  expect(results.status).toBe(0);
  const items = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(items).toHaveLength(12);
  for (const item of items) {
    const p = product(item.index + 1);
    expect(item).toMatchObject({ state: 'completed', result: { data: { title: p.name, price: p.price } } });
    expect(Object.keys(item.result.artifacts)).toEqual(['product']);
  }

  // Events: one item.completed per item and one batch.completed.
  const redis = createRedis(testRedisTarget(), { role: 'producer' });
  try {
    await new Promise((r) => redis.once('ready', r));
    const events = (await new RedisEventStream(redis, prefix).readAfter('-', 100_000)).filter(
      (e) => e.batchId === id,
    );
    expect(
      events
        .filter((e) => e.type === 'item.completed')
        .map((e) => e.itemId)
        .sort(),
    ).toEqual(Array.from({ length: 12 }, (_, i) => `${id}.${i}`).sort());
    expect(events.filter((e) => e.type === 'batch.completed')).toHaveLength(1);
    // fleet up records its launcher as the demo profiles' home (DESIGN.md section 7).
    const demo = await new RedisProfileStore(redis, prefix).list('default', { limit: 100 });
    expect(demo.profiles.length).toBeGreaterThan(0);
    for (const p of demo.profiles) {
      expect(p.providerIds.launcher).toBe(`http://127.0.0.1:${ports.launcher}`);
    }
  } finally {
    redis.disconnect();
  }

  // Metrics: the workers together completed 12 items; the API counted one submitted batch.
  let completed = 0;
  for (const url of info.workerMetricsUrls) {
    const text = await (await fetch(url)).text();
    const match = /^fleet_items_total\{state="completed"[^}]*\} (\d+)/m.exec(text);
    completed += match ? Number(match[1]) : 0;
  }
  expect(completed).toBe(12);
  const apiMetrics = await (await fetch(`${info.apiUrl}/metrics`)).text();
  expect(apiMetrics).toMatch(/^fleet_batches_submitted_total(\{[^}]*\})? 1$/m);
  expect(apiMetrics).toMatch(/^fleet_pool_profiles\{[^}]*pool="default"[^}]*\} \d+/m);

  // The tour's second-edition example (examples/demo-checkout.json): log in past a random cookie
  // banner, page through search results, pick a size, read the reviews iframe, check out with the
  // batch's receipt file and read the confirmation tab — through the CLI, the API and both workers.
  const checkoutFile = example('demo-checkout.json');
  const checkout = cli(['submit', checkoutFile, '--watch']);
  expect({ status: checkout.status, stderr: checkout.stderr }).toEqual({ status: 0, stderr: '' });
  const checkoutId = /batch (\S+) queued/.exec(checkout.stdout)?.[1];
  expect(checkout.stdout).toMatch(/3 completed/);
  const checkoutOut = join(dir, 'checkout.jsonl');
  expect(cli(['batches', 'results', checkoutId!, '--out', checkoutOut]).status).toBe(0);
  const checkouts = readFileSync(checkoutOut, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const orderIds = checkouts.map((item) => {
    expect(item).toMatchObject({
      state: 'completed',
      result: {
        data: { orderId: expect.stringMatching(/^\d+$/), orderFile: expect.stringContaining('receipt.txt') },
      },
    });
    expect(typeof item.result.data.rating).toBe('number');
    expect(item.result.data.results.length).toBeGreaterThan(0);
    expect(Object.keys(item.result.artifacts)).toEqual(['confirmation']);
    return item.result.data.orderId;
  });
  const shop = (await (await fetch(`http://127.0.0.1:${ports.demo}/api/orders`)).json()) as {
    orders: { id: string; file: { name: string } }[];
  };
  for (const id of orderIds) {
    expect(shop.orders.find((o) => o.id === id)?.file.name).toBe('receipt.txt');
  }

  // The same flow as a code scenario (examples/demo-shop-checkout.scenario.json → the workers'
  // default SCENARIOS_DIR, scenarios/demo-shop-checkout): through the CLI, the API and the workers.
  const scenarioFile = example('demo-shop-checkout.scenario.json');
  const scenario = cli(['submit', scenarioFile, '--watch']);
  expect({ status: scenario.status, stderr: scenario.stderr }).toEqual({ status: 0, stderr: '' });
  expect(scenario.stdout).toMatch(/2 completed/);
  const scenarioOut = join(dir, 'scenario.jsonl');
  const scenarioId = /batch (\S+) queued/.exec(scenario.stdout)?.[1];
  expect(cli(['batches', 'results', scenarioId!, '--out', scenarioOut]).status).toBe(0);
  const scenarioOrders = readFileSync(scenarioOut, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).result.data.order.id as string);
  const after = (await (await fetch(`http://127.0.0.1:${ports.demo}/api/orders`)).json()) as typeof shop;
  for (const id of scenarioOrders) expect(after.orders.some((o) => o.id === id)).toBe(true);

  // The README's "Using Fleet from code" program (@fleet/client), as written, on this stack: it
  // reads the up file, submits the demo batch, watches its events, waits, and prints the results.
  const programDir = mkdtempSync(join(ROOT, '.readme-program-'));
  try {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const at = readme.indexOf('\n## Using Fleet from code\n');
    const program = /```ts\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
    expect(at > 0 && program).toBeTruthy();
    const programFile = join(programDir, 'demo.ts');
    writeFileSync(programFile, program!.replaceAll('examples/demo.json', example('demo.json')));
    const run = spawnSync(process.execPath, ['--import', 'tsx', programFile], {
      cwd: ROOT,
      env: { ...process.env, FLEET_UP_FILE: upFile },
      encoding: 'utf8',
      timeout: 180_000,
    });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    const lines = run.stdout.trimEnd().split('\n');
    const sdkId = /^batch (\S+) completed: 12 completed, 0 failed$/.exec(lines.at(-1) ?? '')?.[1];
    expect(sdkId).toBeDefined();
    // Each item's event once (the watch delivers no duplicate), then 12 result rows in order.
    expect(lines.filter((l) => l.startsWith('item.completed ')).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `item.completed ${sdkId}.${i}`).sort(),
    );
    const rows = lines.filter((l) => /^\d+ /.test(l));
    expect(rows.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(
      Array.from({ length: 12 }, (_, i) => `${i} completed`),
    );
    expect(JSON.parse(rows[0]!.split(' ').slice(2).join(' '))).toMatchObject({ title: product(1).name });
  } finally {
    rmSync(programDir, { recursive: true, force: true });
  }

  // Ctrl-C: everything stops, exit 0, no browser, no port, no up file.
  up.kill('SIGINT');
  const code = await waitFor('fleet up to exit', () => up.exitCode ?? undefined, upWait(90_000));
  expect(code).toBe(0);
  expect(chromiumsUnder(dir)).toEqual([]);
  for (const port of [
    ports.api,
    ports.notifier,
    ports.launcher,
    ports.worker,
    ports.worker + 1,
    ports.demo,
  ]) {
    expect([port, await portOpen(port)]).toEqual([port, false]);
  }
  expect(existsSync(upFile)).toBe(false);
}, 480_000);
