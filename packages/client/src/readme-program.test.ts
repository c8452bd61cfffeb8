/**
 * The README's "Using Fleet from code" program, its text read from README.md and run as a user
 * runs it (`node --import tsx demo.ts`, in its own process) against a real API and notifier. Only
 * the batch file is rewritten (a small batch of this test's); the test plays the worker, so the
 * program's watch, wait and results see the items end one by one. The stack e2e runs it again
 * on the whole fleet (`fleet up`, real workers and Chromium).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, TEST_KEYS, waitFor } from '@fleet/testing';
import { FleetClient } from './index.js';
import { TestStack } from './testing/test-stack.js';

/** The first ```ts block after the README heading `heading`. */
export function tsBlockAfter(readme: string, heading: string): string {
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README.md has no heading "${heading}"`);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!block?.[1]) throw new Error(`no ts block after "${heading}"`);
  return block[1];
}

let stack: TestStack;
// Inside the repository, so `@fleet/client` resolves as it does for a demo.ts in its root.
const dir = mkdtempSync(join(REPO_ROOT, '.readme-program-'));

beforeAll(async () => {
  stack = await TestStack.start({ name: 'client-readme' });
});
afterAll(async () => {
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

it('the README program submits, watches, waits for and prints the results of a batch', async () => {
  const program = tsBlockAfter(
    readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'),
    '## Using Fleet from code',
  );
  expect(program.split('\n').filter((l) => l.trim() !== '').length).toBeLessThanOrEqual(10);
  const batchFile = join(dir, 'batch.json');
  writeFileSync(
    batchFile,
    JSON.stringify({
      steps: [{ goto: 'https://example.test/{{n}}' }],
      items: [{ n: 1 }, { n: 2 }, { n: 3 }],
    }),
  );
  const upFile = join(dir, 'up.json');
  writeFileSync(
    upFile,
    JSON.stringify({ apiUrl: stack.apiUrl, apiKey: TEST_KEYS.ops.key, notifierUrl: stack.notifierUrl }),
  );
  const file = join(dir, 'demo.ts');
  writeFileSync(file, program.replaceAll('examples/demo.json', batchFile));
  const tsx = pathToFileURL(require.resolve('tsx', { paths: [REPO_ROOT] })).href;
  const child = spawn(process.execPath, ['--import', tsx, file], {
    cwd: REPO_ROOT,
    env: { ...process.env, FLEET_UP_FILE: upFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));

  // The worker's part: once the program's batch exists and its watch is subscribed, finish it.
  const client = new FleetClient({ apiUrl: stack.apiUrl, apiKey: TEST_KEYS.ops.key });
  const batch = await waitFor(
    'the program to submit',
    async () => (await client.listPage({ limit: 1 })).rows[0],
    {
      timeoutMs: 30_000,
      context: () => err,
    },
  );
  await waitFor('the program to watch', async () => (await stack.notifier.io.fetchSockets()).length > 0, {
    timeoutMs: 30_000,
  });
  await stack.finishItem(batch.id, 0);
  await stack.finishItem(batch.id, 1, { error: { code: 'STEP_TIMEOUT', message: 'waited', step: 0 } });
  await stack.finishItem(batch.id, 2);
  expect({ code: await exited, err }).toEqual({ code: 0, err: '' });
  expect(out.trimEnd().split('\n')).toEqual([
    `item.completed ${batch.id}.0`,
    `item.failed ${batch.id}.1`,
    `item.completed ${batch.id}.2`,
    '0 completed {"title":"Item 0"}',
    '1 failed {}',
    '2 completed {"title":"Item 2"}',
    `batch ${batch.id} completed: 2 completed, 1 failed`,
  ]);
}, 90_000);
