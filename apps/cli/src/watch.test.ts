import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisKeyRevocations } from '@fleet/redis';
import { KEYS, STACK_LINE, TestFleet } from './test-fleet.js';

let fleet: TestFleet;
let dir: string;
let file: string;

beforeAll(async () => {
  fleet = await TestFleet.start();
  dir = mkdtempSync(join(tmpdir(), 'fleet-cli-watch-'));
  file = join(dir, 'three.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'three products',
      steps: [
        { goto: 'http://127.0.0.1:3005/products/{{n}}' },
        { extract: { name: 'title', selector: 'h1' } },
      ],
      items: [{ n: 1 }, { n: 2 }, { n: 3 }],
    }),
  );
});
afterAll(async () => {
  await fleet.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `fleet submit --watch` started, subscribed and past its first read of the batch: its id. */
async function watching(args: string[] = [], env: Record<string, string> = {}) {
  const run = fleet.start(['submit', file, '--watch', ...args], { env });
  const [, id] = (await run.output(/^batch (\S+) queued/m)) as [string, string];
  await run.output(/^watching: 0\/3 done, 0 failed$/m);
  return { run, id };
}

describe('fleet submit --watch (not a terminal: one line per item event)', () => {
  it('follows the events to batch.completed, then the summary; exit 0', async () => {
    const { run, id } = await watching();
    await fleet.events.publish({
      type: 'item.started',
      batchId: id,
      itemId: `${id}.0`,
      profileId: 'p-default-1',
      at: Date.now(),
      data: {},
    });
    await run.output(/^item 0 started on profile p-default-1$/m);
    for (const index of [0, 1, 2]) await fleet.finishItem(id, index);
    const result = await run.done;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toEqual([
      `batch ${id} queued: 3 items in pool "default"`,
      'watching: 0/3 done, 0 failed',
      'item 0 started on profile p-default-1',
      'item 0 completed in 120 ms (1/3 done, 0 failed)',
      'item 1 completed in 121 ms (2/3 done, 0 failed)',
      'item 2 completed in 122 ms (3/3 done, 0 failed)',
      expect.stringMatching(
        new RegExp(`^batch ${id} completed in \\S+ m?s: 3 completed, 0 failed \\(of 3\\)$`),
      ),
    ]);
  });

  it('lists the failures (index, code, message) and exits 1 when an item failed', async () => {
    const { run, id } = await watching();
    await fleet.finishItem(id, 0);
    await fleet.finishItem(id, 1, {
      error: { code: 'STEP_TIMEOUT', message: 'waited 15 s for\n"h1"', step: 1 },
    });
    await fleet.finishItem(id, 2);
    const result = await run.done;
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('item 1 failed in 121 ms: STEP_TIMEOUT at step 1 (2/3 done, 1 failed)');
    // The message's line break is folded: one failure, one line.
    expect(result.stdout.trimEnd().split('\n').slice(-4)).toEqual([
      expect.stringMatching(new RegExp(`^batch ${id} completed in .*: 2 completed, 1 failed \\(of 3\\)$`)),
      'failures:',
      '  INDEX  CODE          STEP  MESSAGE',
      '  1      STEP_TIMEOUT  1     waited 15 s for "h1"',
    ]);
    expect(result.stderr).toBe('');
  });

  it("a failure's step path is printed, and where its evidence is", async () => {
    const { run, id } = await watching();
    const evidence = {
      screenshot: 'S'.repeat(22),
      html: 'H'.repeat(22),
      console: 'C'.repeat(22),
      url: 'http://127.0.0.1:3005/products/2',
    };
    await fleet.finishItem(id, 0);
    await fleet.finishItem(id, 1, {
      error: { code: 'SELECTOR_NOT_FOUND', message: 'no #buy', step: 2, path: 'steps[2].do[0]#1', evidence },
    });
    await fleet.finishItem(id, 2, {
      error: {
        code: 'SELECTOR_NOT_FOUND',
        message: 'no #buy',
        step: 2,
        path: 'steps[2].do[0]#4',
        evidence: { url: evidence.url, omitted: true },
      },
    });
    const result = await run.done;
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('item 1 failed in 121 ms: SELECTOR_NOT_FOUND at steps[2].do[0]#1');
    const api = fleet.apiUrl;
    expect(result.stdout.trimEnd().split('\n').slice(-9)).toEqual([
      'failures:',
      '  INDEX  CODE                STEP              MESSAGE',
      '  1      SELECTOR_NOT_FOUND  steps[2].do[0]#1  no #buy',
      '  2      SELECTOR_NOT_FOUND  steps[2].do[0]#4  no #buy',
      'evidence (GET with the API key):',
      `  item 1 at ${evidence.url}:`,
      `    screenshot: ${api}/v1/artifacts/${evidence.screenshot}`,
      `    html: ${api}/v1/artifacts/${evidence.html}`,
      `    console: ${api}/v1/artifacts/${evidence.console}`,
    ]);
  });

  it('--json prints one document at the end: the batch and its failures', async () => {
    const submitted = await fleet.cli(['submit', file, '--json']);
    const { id } = JSON.parse(submitted.stdout) as { id: string };
    const run = fleet.start(['batches', 'watch', id, '--json']);
    // Whether these land before or after the CLI subscribes, the outcome is the same.
    for (const index of [0, 1]) await fleet.finishItem(id, index);
    await fleet.finishItem(id, 2, {
      error: { code: 'NAVIGATION_FAILED', message: 'net::ERR_CONNECTION_REFUSED', step: 0 },
    });
    const result = await run.done;
    expect(result.code).toBe(1);
    const doc = JSON.parse(result.stdout) as {
      batch: Record<string, unknown>;
      failures: Record<string, unknown>[];
    };
    expect(doc.batch).toMatchObject({ id, status: 'completed', completed: 2, failed: 1, total: 3 });
    expect(doc.failures).toEqual([
      expect.objectContaining({
        index: 2,
        error: { code: 'NAVIGATION_FAILED', message: 'net::ERR_CONNECTION_REFUSED', step: 0 },
      }),
    ]);
  });

  it('ends from the API when the batch finished before the subscription (its events went by unseen)', async () => {
    const submitted = await fleet.cli(['submit', file]);
    const id = /^batch (\S+) queued/m.exec(submitted.stdout)![1]!;
    for (const index of [0, 1, 2]) await fleet.finishItem(id, index);
    const result = await fleet.cli(['batches', 'watch', id]);
    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split('\n')).toEqual([
      'watching: 3/3 done, 0 failed',
      expect.stringMatching(new RegExp(`^batch ${id} completed in .*: 3 completed, 0 failed \\(of 3\\)$`)),
    ]);
  });

  it('reconnects after the notifier goes away and replays what it missed from its last event id', async () => {
    const { run, id } = await watching();
    await fleet.finishItem(id, 0);
    await run.output(/^item 0 completed/m);
    await fleet.restartNotifier(async () => {
      await run.output(/^connection to the notifier lost: reconnecting$/m);
      // Published while no notifier runs: only a replay from the last event id brings it.
      await fleet.finishItem(id, 1);
    });
    await run.output(/^item 1 completed in 121 ms \(2\/3 done, 0 failed\)$/m);
    await run.output(/^watching again: 2\/3 done, 0 failed$/m);
    await fleet.finishItem(id, 2);
    const result = await run.done;
    expect(result.code).toBe(0);
    const itemLines = result.stdout.split('\n').filter((l) => l.startsWith('item '));
    expect(itemLines).toEqual([
      'item 0 completed in 120 ms (1/3 done, 0 failed)',
      'item 1 completed in 121 ms (2/3 done, 0 failed)',
      'item 2 completed in 122 ms (3/3 done, 0 failed)',
    ]);
  });

  it('ends on batch.cancelled with the summary; exit 1 (the batch did not complete)', async () => {
    const { run, id } = await watching();
    await fleet.finishItem(id, 0);
    await run.output(/^item 0 completed/m);
    const cancelled = await fleet.cli(['batches', 'cancel', id]);
    expect(cancelled.code).toBe(0);
    const result = await run.done;
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(`^batch ${id} cancelled in .*: 1 completed, 0 failed, 2 not run \\(of 3\\)$`, 'm'),
    );
  });

  it('ends with one line when the key is revoked while watching (the notifier drops the socket)', async () => {
    const revocations = new RedisKeyRevocations(fleet.redis, fleet.prefix);
    const { run } = await watching([], { FLEET_API_KEY: KEYS.acme.key });
    try {
      await revocations.revoke(KEYS.acme.name);
      const result = await run.done;
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^KEY_REVOKED: [^\n]+\n$/);
      expect(result.stderr + result.stdout).not.toContain(KEYS.acme.key);
    } finally {
      await revocations.restore(KEYS.acme.name);
    }
  });

  it('gives up with one line (and how to watch again) when the notifier cannot be reached', async () => {
    const result = await fleet.cli(['submit', file, '--watch', '--notifier-url', 'http://127.0.0.1:1']);
    expect(result.code).toBe(3);
    const id = /^batch (\S+) queued/m.exec(result.stdout)![1]!;
    expect(result.stderr.split('\n')).toEqual([
      'cannot reach the notifier at http://127.0.0.1:1: is the fleet running? (pnpm start)',
      `  batch ${id} was submitted: watch it with \`pnpm fleet batches watch ${id}\``,
      '',
    ]);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });
});
