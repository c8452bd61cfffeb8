/**
 * The built package (`pnpm --filter @fleet/client build`) as a project outside this repository
 * uses it: plain `node` (no tsx, no TypeScript) imports dist/index.js and calls a real API. Its
 * JavaScript needs only socket.io-client at run time (@fleet/contracts, which is not published,
 * is imported for types only), and its declarations carry the contracts' types in dist/contracts.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { TEST_KEYS } from '@fleet/testing';
import { TestStack } from './testing/test-stack.js';

const PACKAGE = join(__dirname, '..');
let stack: TestStack;
const dir = mkdtempSync(join(tmpdir(), 'fleet-client-outside-'));

beforeAll(async () => {
  stack = await TestStack.start({ name: 'client-dist' });
});
afterAll(async () => {
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

it('builds to dist; plain node runs it against a real API; no runtime import of @fleet/contracts', async () => {
  const build = spawnSync('pnpm', ['run', '--silent', 'build'], {
    cwd: PACKAGE,
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect({ status: build.status, stderr: build.stderr }).toEqual({ status: 0, stderr: '' });
  const js = readdirSync(join(PACKAGE, 'dist')).filter((f) => f.endsWith('.js'));
  for (const file of js) {
    expect([file, readFileSync(join(PACKAGE, 'dist', file), 'utf8').includes('@fleet/contracts')]).toEqual([
      file,
      false,
    ]);
  }
  expect(readFileSync(join(PACKAGE, 'dist', 'index.d.ts'), 'utf8')).toContain("from './contracts/index.js'");

  const script = join(dir, 'use.mjs');
  writeFileSync(
    script,
    `import { FleetClient, FleetApiError } from ${JSON.stringify(pathToFileURL(join(PACKAGE, 'dist', 'index.js')).href)};
const fleet = new FleetClient({ apiUrl: process.env.API_URL, apiKey: process.env.API_KEY });
const batch = await fleet.submit({ steps: [{ goto: 'https://example.test/' }], items: [{}] });
const read = await fleet.get(batch.id);
const missing = await fleet.get('nosuchbatch0000').catch((e) => e);
console.log(JSON.stringify({ id: read.id === batch.id, total: read.total, typed: missing instanceof FleetApiError, code: missing.code }));
`,
  );
  // Not spawnSync: the API answering it runs in this process.
  const run = await promisify(execFile)(process.execPath, [script], {
    cwd: dir,
    env: { PATH: process.env.PATH, API_URL: stack.apiUrl, API_KEY: TEST_KEYS.ops.key },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(run.stderr).toBe('');
  expect(JSON.parse(run.stdout)).toEqual({ id: true, total: 1, typed: true, code: 'BATCH_NOT_FOUND' });
}, 150_000);
