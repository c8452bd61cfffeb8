/**
 * Every command README.md gives is run here as written, or by another test, or skipped for a reason
 * written down in readme-commands.ts; a command added to the README fails the first test until one
 * of those is true. The second test is the tour: `pnpm start` in its own process group (its Redis
 * forced to a throwaway redis-server: REDIS_URL names a port nothing listens on, never 6379), the
 * CLI commands of the README against it in README order, `<id>` filled from the command before,
 * then Ctrl-C. Only what must differ on a test machine is rewritten: the ports (env, and the
 * demo shop's port in copies of the example batches) and the output files (a temporary folder).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetClient } from '@fleet/client';
import { MultiloginClient } from '@fleet/multilogin';
import { chromiumsUnder, portOpen, waitFor } from '@fleet/testing';
import { RUN_ELSEWHERE_SECTIONS, readmeCommands, SKIPPED } from './readme-commands.js';
import { ReadmeTour, ROOT } from './readme-tour.js';
import { cleanUpRun } from './shell-runs.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'fleet-readme-tour-'));

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
  'pnpm fleet schedules add examples/demo.json --every-ms 60000 --id demo',
  'pnpm fleet schedules list',
  'pnpm fleet schedules rm demo',
];
/** Other names of a tour command: `fleet up` is what `pnpm start` runs (package.json "start"). */
const SAME_AS_TOUR: Record<string, string> = { 'fleet up': 'pnpm start' };

const tour = new ReadmeTour(TOUR, dir);

afterAll(() => cleanUpRun(tour.up?.pid, dir));

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

/** The demo batch, its results as JSON Lines and CSV, the two checkout flows; the scenario batch's id. */
async function demoBatches(): Promise<string> {
  const submitted = await tour.step('pnpm fleet submit examples/demo.json --watch');
  const id = /batch (\S+) queued/.exec(submitted)?.[1];
  expect(id).toBeDefined();
  expect(submitted).toMatch(/12 completed/);
  const jsonl = join(dir, 'results.jsonl');
  await tour.step('pnpm fleet batches results <id> --out results.jsonl', {
    '<id>': id!,
    'results.jsonl': jsonl,
  });
  const lines = readFileSync(jsonl, 'utf8').trim().split('\n');
  expect(lines).toHaveLength(12);
  for (const l of lines) expect(JSON.stringify(JSON.parse(l))).toContain('"title"');
  const csv = join(dir, 'results.csv');
  await tour.step('pnpm fleet batches results <id> --csv --out results.csv', {
    '<id>': id!,
    'results.csv': csv,
  });
  const rows = readFileSync(csv, 'utf8').trim().split('\n');
  expect(rows).toHaveLength(13);
  expect(rows[0]).toMatch(/title/);
  expect(rows[0]).toMatch(/price/);

  expect(await tour.step('pnpm fleet submit examples/demo-checkout.json --watch')).toMatch(/3 completed/);
  const scenario = await tour.step('pnpm fleet submit examples/demo-shop-checkout.scenario.json --watch');
  expect(scenario).toMatch(/2 completed/);
  const scenarioId = /batch (\S+) queued/.exec(scenario)?.[1];
  expect(scenarioId).toBeDefined();
  return scenarioId!;
}

/** `batches errors` on a batch with a failed item (the README's batches all succeed), then on one without. */
async function batchErrors(cleanBatchId: string): Promise<void> {
  // One of two items waits for an element the product page does not have.
  const failing = join(dir, 'failing.json');
  writeFileSync(
    failing,
    JSON.stringify({
      pool: 'default',
      steps: [
        { goto: `http://127.0.0.1:${tour.ports.demo}/products/{{n}}` },
        { waitFor: { selector: '{{wait}}', timeoutMs: 1000 } },
      ],
      items: [
        { n: 1, wait: 'h1' },
        { n: 2, wait: '#no-such-element' },
      ],
      options: { attempts: 1 },
    }),
  );
  const failed = await tour.sh(`pnpm fleet submit ${failing} --watch`);
  expect({ status: failed.status, out: failed.stdout }).toMatchObject({
    status: 1,
    out: expect.stringMatching(/1 failed/),
  });
  const failedId = /batch (\S+) queued/.exec(failed.stdout)?.[1];
  const errors = await tour.step('pnpm fleet batches errors <id>', { '<id>': failedId! });
  // One kind of failure, one item, with its evidence (screenshot, HTML, console) kept.
  expect(errors).toMatch(/^\s*1\s+1\s+SELECTOR_NOT_FOUND\s+steps\[1\]/m);
  const clean = await tour.step('pnpm fleet batches errors <id>', { '<id>': cleanBatchId });
  expect(clean).toContain('no failures counted');
}

/** Profiles: list, import from a launcher (this run's, for the README's other host), add one. */
async function profiles(): Promise<void> {
  expect(await tour.step('pnpm fleet profiles list')).toMatch(/default/);
  const imported = await tour.step(
    'pnpm fleet profiles import --pool default --launcher http://10.0.0.12:45001',
    {
      'http://10.0.0.12:45001': tour.launcherUrl,
    },
  );
  expect(imported).toMatch(/3 already there/);
  // `profiles add` registers a profile the launcher has and Fleet does not: make one there with
  // fleet up's dev sign-in.
  const launcher = new MultiloginClient({
    apiUrl: tour.launcherUrl,
    launcherUrl: tour.launcherUrl,
    email: 'dev@fleet.local',
    password: 'fleet-dev-password',
  });
  const [folder] = await launcher.listFolders();
  const profileId = await launcher.createProfile({ name: 'readme-tour', folderId: folder!.id });
  const added = await tour.step('pnpm fleet profiles add <id> --pool P --launcher URL', {
    '<id>': profileId,
    ' P ': ' readme ',
    URL: tour.launcherUrl,
  });
  expect(added).toContain(profileId);
  expect(await tour.step('pnpm fleet profiles list')).toContain(profileId);
}

/** A schedule: its first run is at once (BullMQ's every-ms), and makes a batch of the demo. */
async function schedules(): Promise<void> {
  const added = await tour.step('pnpm fleet schedules add examples/demo.json --every-ms 60000 --id demo');
  expect(added).toMatch(/^schedule demo saved \(every 60000 ms; next run /m);
  const up = JSON.parse(readFileSync(join(tour.dir, 'up.json'), 'utf8')) as {
    apiUrl: string;
    apiKey: string;
  };
  const client = new FleetClient({ apiUrl: up.apiUrl, apiKey: up.apiKey });
  const ran = await waitFor(
    'the first run of the demo schedule',
    async () => {
      const s = await client.schedules.get('demo');
      return s.runs >= 1 && s.lastRun ? s : undefined;
    },
    { timeoutMs: 30_000 },
  );
  expect((await client.get(ran.lastRun!.batchId)).scheduleId).toBe('demo');
  expect(await tour.step('pnpm fleet schedules list')).toMatch(
    /^demo\s+\S+\s+every 60000 ms\s+\S.*\s1\s+\S+/m,
  );
  expect(await tour.step('pnpm fleet schedules rm demo')).toContain('schedule demo removed');
}

it('the README tour runs against pnpm start, in README order, then Ctrl-C stops everything', async () => {
  await tour.start();
  expect(tour.upOutput).toContain('started a throwaway redis-server');
  expect(await tour.step('pnpm fleet --help')).toContain('submit');
  const scenarioBatch = await demoBatches();
  await batchErrors(scenarioBatch);
  await profiles();
  await schedules();
  expect(tour.ran).toEqual(TOUR);

  // Ctrl-C: everything stops, no browser, port or redis-server is left.
  expect(await tour.stop()).toBe(0);
  expect(chromiumsUnder(dir)).toEqual([]);
  for (const port of Object.values(tour.ports)) expect([port, await portOpen(port)]).toEqual([port, false]);
  console.log(tour.report());
}, 600_000);
