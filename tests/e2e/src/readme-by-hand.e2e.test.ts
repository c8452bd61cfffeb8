/**
 * The README's "Run the pieces by hand" block, run as a newcomer would paste it into a shell (its
 * text read from README.md, so the README cannot drift from what works): the launcher, the
 * profiles import, a worker, the API and the notifier started with `pnpm --filter … start &`, then
 * the example batch (examples/batch.json) submitted with curl. Only what must differ on a test
 * machine is rewritten: the Redis URL (the run's throwaway server, not 6379), the fixed ports
 * (free ones, also in the batch file) and the data directories (a temporary one). The batch must
 * complete with the launcher's version page read: with BLOCK_PRIVATE_TARGETS on, as by default.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FleetClient, type ItemView } from '@fleet/client';
import { freePort, sleep, testPrefix, testRedisUrl, waitFor } from '@fleet/testing';
import { cleanUpRun, signalGroup } from './shell-runs.js';

const ROOT = resolve(__dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'fleet-by-hand-'));
const KEY = 'ops-key-change-me-0123456789';
let shell: ChildProcess | undefined;
let output = '';

/** The first ```sh block after the README heading `heading`. */
function shellBlockAfter(readme: string, heading: string): string {
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README.md has no heading "${heading}"`);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!block?.[1]) throw new Error(`no sh block after "${heading}"`);
  return block[1];
}

afterAll(async () => {
  signalGroup(shell?.pid, 'SIGTERM');
  await sleep(3_000);
  cleanUpRun(shell?.pid, dir);
});

it('the README by-hand block starts the pieces and its example batch completes, guard on', async () => {
  const ports = { launcher: 0, api: 0, notifier: 0, worker: 0 };
  const taken = new Set<number>();
  for (const name of Object.keys(ports) as Array<keyof typeof ports>) {
    let port = await freePort();
    while (taken.has(port)) port = await freePort();
    taken.add(port);
    ports[name] = port;
  }
  const batchFile = join(dir, 'batch.json');
  writeFileSync(
    batchFile,
    readFileSync(join(ROOT, 'examples', 'batch.json'), 'utf8').replaceAll(':45001/', `:${ports.launcher}/`),
  );
  const script = shellBlockAfter(readFileSync(join(ROOT, 'README.md'), 'utf8'), '## Run the pieces by hand')
    .replaceAll('redis://127.0.0.1:6379', testRedisUrl())
    .replaceAll('127.0.0.1:45001', `127.0.0.1:${ports.launcher}`)
    .replaceAll('http://127.0.0.1:3000/', `http://127.0.0.1:${ports.api}/`)
    .replaceAll('@examples/batch.json', `@${batchFile}`);
  // The block relies on the apps' default ports and data directories: moved here by env.
  const env: Record<string, string | undefined> = {
    ...process.env,
    FLEET_PREFIX: testPrefix('by-hand'),
    LAUNCHER_PORT: String(ports.launcher),
    API_PORT: String(ports.api),
    NOTIFIER_PORT: String(ports.notifier),
    WORKER_PORT: String(ports.worker),
    LAUNCHER_DATA_DIR: join(dir, 'launcher'),
    ARTIFACTS_DIR: join(dir, 'artifacts'),
    LOG_LEVEL: 'warn',
    ALLOWED_TARGETS: undefined, // only what the block itself exports
    BLOCK_PRIVATE_TARGETS: undefined,
  };
  shell = spawn('bash', ['-e', '-c', script], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  shell.stdout!.on('data', (d) => (output += d));
  shell.stderr!.on('data', (d) => (output += d));
  const id = await waitFor(
    'the block to submit the example batch (curl answering {"id": …})',
    () => {
      const submitted = /\{"id":"([^"]+)"/.exec(output)?.[1];
      if (submitted === undefined && shell?.exitCode !== null && shell?.exitCode !== 0) {
        throw new Error(
          `the block stopped (exit ${shell?.exitCode}) before submitting:\n${output.slice(-3000)}`,
        );
      }
      return submitted;
    },
    { timeoutMs: 180_000, intervalMs: 200, context: () => output.slice(-3000) },
  );
  const fleet = new FleetClient({ apiUrl: `http://127.0.0.1:${ports.api}`, apiKey: KEY });
  // No notifier URL given: wait polls the API (every 500 ms here) until the batch is finished.
  const batch = await fleet.wait(id, { pollMs: 500, signal: AbortSignal.timeout(120_000) }).catch((error) => {
    throw new Error(`batch ${id} did not finish: ${error}\n${output.slice(-3000)}`);
  });
  const items: ItemView[] = [];
  for await (const item of fleet.items(id)) items.push(item);
  expect(batch).toMatchObject({ status: 'completed', completed: 2, failed: 0 });
  expect(items).toHaveLength(2);
  for (const item of items) {
    expect(item).toMatchObject({ state: 'completed' });
    expect(item.result?.data.body).toMatch(/version/i);
  }
}, 330_000);
