/**
 * Every command README.md gives is run here as written, or by another test, or skipped for a reason
 * written down in readme-commands.ts; a command added to the README fails the first test until one
 * of those is true. The second test is the tour: `pnpm start` in its own process group (its Redis
 * forced to a throwaway redis-server: REDIS_URL names a port nothing listens on, never 6379), the
 * CLI commands of the README against it in README order, `<id>` filled from the command before,
 * then Ctrl-C. Only what must differ on a test machine is rewritten: the ports (env, and the
 * demo shop's port in copies of the example batches) and the output files (a temporary folder).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MultiloginClient } from '@fleet/multilogin';
import { chromiumsUnder, freePort, portOpen, testPrefix, waitFor } from '@fleet/testing';
import { RUN_ELSEWHERE_SECTIONS, readmeCommands, SKIPPED } from './readme-commands.js';
import { cleanUpRun, fleetUpEnv, signalGroup } from './shell-runs.js';

const ROOT = resolve(__dirname, '..', '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'fleet-readme-tour-'));
const upFile = join(dir, 'up.json');

/** The README commands the tour below runs, in the order it runs them. */
const TOUR = [
  'pnpm start',
  'pnpm fleet --help',
  'pnpm fleet submit examples/demo.json --watch',
  'pnpm fleet batches results <id> --out results.jsonl',
  'pnpm fleet batches results <id> --csv --out results.csv',
  'pnpm fleet submit examples/demo-checkout.json --watch',
  'pnpm fleet submit examples/demo-shop-checkout.scenario.json --watch',
  'pnpm fleet batches errors <id>',
  'pnpm fleet batches errors <id>', // again: a batch without failures
  'pnpm fleet profiles list',
  'pnpm fleet profiles import --pool default --launcher http://10.0.0.12:45001',
  'pnpm fleet profiles add <id> --pool P --launcher URL',
  'pnpm fleet profiles list', // again: the added profile is listed
];
/** Other names of a tour command: `fleet up` is what `pnpm start` runs (package.json "start"). */
const SAME_AS_TOUR: Record<string, string> = { 'fleet up': 'pnpm start' };

let up: ChildProcess | undefined;
let upOutput = '';

afterAll(() => cleanUpRun(up?.pid, dir));

it('every README command is run by the tour, run by another test, or skipped with a reason', () => {
  const commands = readmeCommands(README);
  expect(commands.length).toBeGreaterThan(20);
  const unaccounted = commands
    .filter(
      (c) =>
        !TOUR.includes(c.text) &&
        !(c.text in SAME_AS_TOUR) &&
        !(c.section in RUN_ELSEWHERE_SECTIONS) &&
        !(c.text in SKIPPED),
    )
    .map((c) => `${c.text}   (README "${c.section}")`);
  // A command listed here must run in the tour (readme-tour.e2e.test.ts) or get a reason in
  // readme-commands.ts SKIPPED.
  expect(unaccounted).toEqual([]);
  const texts = new Set(commands.map((c) => c.text));
  const stale = [...TOUR, ...Object.keys(SAME_AS_TOUR), ...Object.keys(SKIPPED)].filter((t) => !texts.has(t));
  expect(stale).toEqual([]);
  const sections = new Set(commands.map((c) => c.section));
  expect(Object.keys(RUN_ELSEWHERE_SECTIONS).filter((s) => !sections.has(s))).toEqual([]);
});

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one line in bash from the repository's root, as a reader would in a second terminal. */
function sh(line: string): Promise<Ran> {
  return new Promise((done, fail) => {
    const child = spawn('bash', ['-c', line], {
      cwd: ROOT,
      env: { ...process.env, FLEET_UP_FILE: upFile, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

it('the README tour runs against pnpm start, in README order, then Ctrl-C stops everything', async () => {
  const ports = { api: 0, notifier: 0, launcher: 0, worker: 0, demo: 0, redis: 0 };
  const taken = new Set<number>();
  for (const name of Object.keys(ports) as Array<keyof typeof ports>) {
    let port = await freePort();
    while (taken.has(port) || taken.has(port - 1)) port = await freePort();
    taken.add(port);
    ports[name] = port;
  }
  const timings: Array<[string, number]> = [];
  const ran: string[] = [];
  /** A copy of an example batch pointed at this run's demo shop. */
  const example = (name: string) => {
    const file = join(dir, name);
    writeFileSync(
      file,
      readFileSync(join(ROOT, 'examples', name), 'utf8').replaceAll(':3005/', `:${ports.demo}/`),
    );
    return file;
  };
  /** Runs a README command with its placeholders filled; it must exit 0. */
  const step = async (readme: string, fill: Record<string, string> = {}): Promise<string> => {
    expect(TOUR[ran.length]).toBe(readme);
    ran.push(readme);
    let line = readme.replace(/examples\/([\w.-]+\.json)/g, (_m, name: string) => example(name));
    for (const [from, to] of Object.entries(fill)) line = line.replaceAll(from, to);
    const started = Date.now();
    const out = await sh(line);
    timings.push([readme, Date.now() - started]);
    // pnpm echoes the script it runs ("$ node --import tsx …") on stderr; nothing else may be there.
    const stderr = out.stderr.replace(/^\$ .*\n/gm, '');
    expect({ line, status: out.status, stderr }).toEqual({ line, status: 0, stderr: '' });
    return out.stdout;
  };

  // 1. pnpm start, in its own process group so Ctrl-C can go to all of it as a terminal sends it.
  expect(TOUR[0]).toBe('pnpm start');
  ran.push('pnpm start');
  const started = Date.now();
  up = spawn('bash', ['-c', 'pnpm start'], {
    cwd: ROOT,
    detached: true,
    env: {
      ...process.env,
      // A port nothing listens on: fleet up starts its own throwaway redis-server.
      REDIS_URL: `redis://127.0.0.1:${ports.redis}`,
      REDIS_SENTINELS: undefined,
      REDIS_CLUSTER_NODES: undefined,
      ...fleetUpEnv(ports, { dir, upFile, prefix: testPrefix('readme-tour') }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  up.stdout!.on('data', (d) => (upOutput += d));
  up.stderr!.on('data', (d) => (upOutput += d));
  const upWait = (timeoutMs: number) => ({
    timeoutMs,
    intervalMs: 200,
    context: () => `pnpm start said:\n${upOutput}`,
  });
  await waitFor(
    'pnpm start to say the fleet is up',
    () => {
      if (up?.exitCode !== null) throw new Error(`pnpm start exited (${up?.exitCode}):\n${upOutput}`);
      return upOutput.includes('Fleet is up');
    },
    upWait(200_000),
  );
  timings.push(['pnpm start', Date.now() - started]);
  expect(upOutput).toContain('started a throwaway redis-server');
  const launcherUrl = `http://127.0.0.1:${ports.launcher}`;

  // 2. The CLI, in README order.
  expect(await step('pnpm fleet --help')).toContain('submit');
  const submitted = await step('pnpm fleet submit examples/demo.json --watch');
  const id = /batch (\S+) queued/.exec(submitted)?.[1];
  expect(id).toBeDefined();
  expect(submitted).toMatch(/12 completed/);
  const jsonl = join(dir, 'results.jsonl');
  await step('pnpm fleet batches results <id> --out results.jsonl', { '<id>': id!, 'results.jsonl': jsonl });
  const lines = readFileSync(jsonl, 'utf8').trim().split('\n');
  expect(lines).toHaveLength(12);
  for (const l of lines) expect(JSON.stringify(JSON.parse(l))).toContain('"title"');
  const csv = join(dir, 'results.csv');
  await step('pnpm fleet batches results <id> --csv --out results.csv', { '<id>': id!, 'results.csv': csv });
  const rows = readFileSync(csv, 'utf8').trim().split('\n');
  expect(rows).toHaveLength(13);
  expect(rows[0]).toMatch(/title/);
  expect(rows[0]).toMatch(/price/);

  const checkout = await step('pnpm fleet submit examples/demo-checkout.json --watch');
  expect(checkout).toMatch(/3 completed/);
  const scenario = await step('pnpm fleet submit examples/demo-shop-checkout.scenario.json --watch');
  expect(scenario).toMatch(/2 completed/);
  const scenarioId = /batch (\S+) queued/.exec(scenario)?.[1];
  expect(scenarioId).toBeDefined();
  // `batches errors` is about failed items, and the README's batches all succeed: one of two items
  // of this batch waits for an element the product page does not have.
  const failing = join(dir, 'failing.json');
  writeFileSync(
    failing,
    JSON.stringify({
      pool: 'default',
      steps: [
        { goto: `http://127.0.0.1:${ports.demo}/products/{{n}}` },
        { waitFor: { selector: '{{wait}}', timeoutMs: 1000 } },
      ],
      items: [
        { n: 1, wait: 'h1' },
        { n: 2, wait: '#no-such-element' },
      ],
      options: { attempts: 1 },
    }),
  );
  const failed = await sh(`pnpm fleet submit ${failing} --watch`);
  expect({ status: failed.status, out: failed.stdout }).toMatchObject({
    status: 1,
    out: expect.stringMatching(/1 failed/),
  });
  const failedId = /batch (\S+) queued/.exec(failed.stdout)?.[1];
  const errors = await step('pnpm fleet batches errors <id>', { '<id>': failedId! });
  // One kind of failure, one item, with its evidence (screenshot, HTML, console) kept.
  expect(errors).toMatch(/^\s*1\s+1\s+SELECTOR_NOT_FOUND\s+steps\[1\]/m);
  expect(await step('pnpm fleet batches errors <id>', { '<id>': scenarioId! })).toContain(
    'no failures counted',
  );

  const list = await step('pnpm fleet profiles list');
  expect(list).toMatch(/default/);
  expect(
    await step('pnpm fleet profiles import --pool default --launcher http://10.0.0.12:45001', {
      'http://10.0.0.12:45001': launcherUrl,
    }),
  ).toMatch(/3 already there/);
  // `profiles add` registers a profile the launcher has and Fleet does not: make one there, as a
  // reader would in the launcher (fleet up's dev sign-in).
  const launcher = new MultiloginClient({
    apiUrl: launcherUrl,
    launcherUrl,
    email: 'dev@fleet.local',
    password: 'fleet-dev-password',
  });
  const [folder] = await launcher.listFolders();
  const profileId = await launcher.createProfile({ name: 'readme-tour', folderId: folder!.id });
  const added = await step('pnpm fleet profiles add <id> --pool P --launcher URL', {
    '<id>': profileId,
    ' P ': ' readme ',
    URL: launcherUrl,
  });
  expect(added).toContain(profileId);
  expect(await step('pnpm fleet profiles list')).toContain(profileId);
  expect(ran).toEqual(TOUR);

  // 3. Ctrl-C: everything stops, no browser or redis-server is left.
  const stopping = Date.now();
  signalGroup(up.pid, 'SIGINT');
  const code = await waitFor('pnpm start to exit', () => up?.exitCode ?? undefined, upWait(90_000));
  timings.push(['Ctrl-C', Date.now() - stopping]);
  expect(code).toBe(0);
  expect(chromiumsUnder(dir)).toEqual([]);
  for (const port of Object.values(ports)) expect([port, await portOpen(port)]).toEqual([port, false]);
  console.log(
    `README tour, seconds per command:\n${timings.map(([c, ms]) => `  ${(ms / 1000).toFixed(1).padStart(6)}  ${c}`).join('\n')}`,
  );
}, 600_000);
