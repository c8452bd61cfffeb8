import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorSignature } from '@fleet/core';
import { RedisBatchStore, RedisEvidencePolicy, RedisProviderHealth } from '@fleet/redis';
import { KEYS, STACK_LINE, TestFleet } from './test-fleet.js';

const STEPS = [
  { goto: 'http://127.0.0.1:3005/products/{{n}}' },
  { extract: { name: 'title', selector: 'h1' } },
];

let fleet: TestFleet;
let dir: string;

beforeAll(async () => {
  fleet = await TestFleet.start();
  dir = mkdtempSync(join(tmpdir(), 'fleet-cli-files-'));
});
afterAll(async () => {
  await fleet.close();
  rmSync(dir, { recursive: true, force: true });
});

function batchFile(name: string, items = 3, extra: Record<string, unknown> = {}): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    JSON.stringify({
      name,
      steps: STEPS,
      items: Array.from({ length: items }, (_, i) => ({ n: i + 1 })),
      ...extra,
    }),
  );
  return path;
}

const batchIdIn = (stdout: string) => /^batch (\S+) queued/m.exec(stdout)?.[1];

describe('fleet submit', () => {
  it('sends a valid batch and prints its id; the batch exists', async () => {
    const result = await fleet.cli(['submit', batchFile('submit.json', 4)]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^batch \S+ queued: 4 items in pool "default"$/m);
    const id = batchIdIn(result.stdout)!;
    const stored = await new RedisBatchStore(fleet.redis, fleet.prefix).get(id);
    expect(stored).toMatchObject({ id, total: 4, owner: 'ops', name: 'submit.json' });
  });

  it('reads YAML, resolves the path from the working directory, and --json prints the view', async () => {
    writeFileSync(
      join(dir, 'batch.yaml'),
      [
        'name: from yaml',
        'steps:',
        '  - goto: "http://127.0.0.1:3005/products/{{n}}"',
        'items:',
        '  - n: 1',
        '  - n: 2',
        '',
      ].join('\n'),
    );
    const result = await fleet.cli(['submit', 'batch.yaml', '--json'], { cwd: dir });
    expect(result.code).toBe(0);
    const view = JSON.parse(result.stdout) as { id: string; total: number; name: string };
    expect(view).toMatchObject({ total: 2, name: 'from yaml', status: 'queued' });
  });

  it('honours --idempotency-key: the same submit twice is one batch', async () => {
    const file = batchFile('idem.json', 2);
    const first = await fleet.cli(['submit', file, '--idempotency-key', 'cli-test-1']);
    const second = await fleet.cli(['submit', file, '--idempotency-key', 'cli-test-1']);
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect(batchIdIn(second.stdout)).toBe(batchIdIn(first.stdout));
  });

  it('prints an API refusal as CODE: message with its details, exit 1', async () => {
    const result = await fleet.cli(['submit', batchFile('pool.json', 1, { pool: 'nowhere' })]);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')).toEqual([
      'UNKNOWN_POOL: pool "nowhere" has no registered profiles: add profiles to it first',
      '  pool: no such pool',
      '',
    ]);
    expect(result.stdout).toBe('');
  });
});

describe('fleet batches', () => {
  let id: string;

  beforeAll(async () => {
    const result = await fleet.cli(['submit', batchFile('listed.json', 3)]);
    id = batchIdIn(result.stdout)!;
    await fleet.finishItem(id, 0);
    await fleet.finishItem(id, 1, { error: { code: 'STEP_TIMEOUT', message: 'h1 did not appear', step: 1 } });
  });

  it('list prints aligned columns, newest first; --json the page', async () => {
    const result = await fleet.cli(['batches', 'list', '--limit', '50']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+STATUS\s+DONE\s+FAILED\s+POOL\s+CREATED$/);
    const row = lines.find((l) => l.startsWith(id))!;
    expect(row).toMatch(/listed\.json\s+queued\s+2\/3\s+1\s+default\s+\d{4}-\d\d-\d\d /);
    // Columns line up: every row's STATUS starts where the header's does.
    const column = lines[0]!.indexOf('STATUS');
    expect(lines.slice(1).every((l) => /^\S/.test(l.slice(column)))).toBe(true);
    const json = await fleet.cli(['batches', 'list', '--json', '--limit', '1']);
    const page = JSON.parse(json.stdout) as { batches: { id: string }[]; nextCursor: string | null };
    expect(page.batches).toHaveLength(1);
    expect(page.nextCursor).not.toBeNull();
  });

  it('show prints the counts', async () => {
    const result = await fleet.cli(['batches', 'show', id]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^id:\\s+${id}$`, 'm'));
    expect(result.stdout).toMatch(/^status:\s+queued$/m);
    expect(result.stdout).toMatch(/^completed:\s+1$/m);
    expect(result.stdout).toMatch(/^failed:\s+1$/m);
    const missing = await fleet.cli(['batches', 'show', 'no-such-batch']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('BATCH_NOT_FOUND: batch "no-such-batch" was not found\n');
  });

  it('results writes one JSON line per item, to a file or stdout, optionally by state', async () => {
    const out = await fleet.cli(['batches', 'results', id, '--out', 'results.jsonl'], { cwd: dir });
    expect(out).toMatchObject({ code: 0, stdout: 'wrote 3 items to results.jsonl\n' });
    const lines = readFileSync(join(dir, 'results.jsonl'), 'utf8').trimEnd().split('\n');
    const items = lines.map((l) => JSON.parse(l) as { index: number; state: string });
    expect(items.map((i) => [i.index, i.state])).toEqual([
      [0, 'completed'],
      [1, 'failed'],
      [2, 'queued'],
    ]);
    const failed = await fleet.cli(['batches', 'results', id, '--state', 'failed']);
    expect(failed.code).toBe(0);
    const only = failed.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(only).toEqual([
      expect.objectContaining({
        index: 1,
        state: 'failed',
        error: { code: 'STEP_TIMEOUT', message: 'h1 did not appear', step: 1 },
      }),
    ]);
    const bad = await fleet.cli(['batches', 'results', id, '--state', 'odd']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^--state must be one of queued, running, completed, failed, cancelled/);
  });

  it('results --csv streams the CSV export (header, then one record per item); an unknown batch writes no file', async () => {
    const out = await fleet.cli(['batches', 'results', id, '--csv', '--out', 'results.csv'], { cwd: dir });
    expect(out).toMatchObject({ code: 0, stdout: 'wrote 3 items to results.csv\n' });
    const rows = readFileSync(join(dir, 'results.csv'), 'utf8').split('\r\n');
    expect(rows[0]).toMatch(/^index,state,data\.title,url,title,error_code,error_message,error_path,/);
    expect(rows.slice(1, 4).map((r) => r.split(',').slice(0, 2).join(','))).toEqual([
      '0,completed',
      '1,failed',
      '2,queued',
    ]);
    expect(rows[2]).toContain(',STEP_TIMEOUT,h1 did not appear,steps[1],');
    const failed = await fleet.cli(['batches', 'results', id, '--csv', '--state', 'failed']);
    expect(failed.code).toBe(0);
    expect(failed.stdout.split('\r\n').filter((r) => r !== '')).toHaveLength(2);
    const missing = await fleet.cli(['batches', 'results', 'nosuchbatch0000', '--out', 'missing.jsonl'], {
      cwd: dir,
    });
    expect(missing).toMatchObject({
      code: 1,
      stderr: 'BATCH_NOT_FOUND: batch "nosuchbatch0000" was not found\n',
    });
    expect(() => readFileSync(join(dir, 'missing.jsonl'))).toThrow();
  });

  it('errors prints the kinds of failure with counts; --json the answer', async () => {
    const policy = new RedisEvidencePolicy(fleet.redis, fleet.prefix, { perError: 3, retentionSec: 60 });
    for (let i = 0; i < 5; i++) {
      const message = `no element matched "#row-${i}" within 5000 ms`;
      await policy.take(id, {
        signature: errorSignature('SELECTOR_NOT_FOUND', 'steps[1]', message),
        code: 'SELECTOR_NOT_FOUND',
        path: 'steps[1]',
        message,
        itemId: `${id}.${i}`,
      });
    }
    const result = await fleet.cli(['batches', 'errors', id]);
    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^COUNT\s+EVIDENCE\s+CODE\s+STEP\s+MESSAGE\s+ITEMS$/),
      expect.stringMatching(
        /^5\s+3\s+SELECTOR_NOT_FOUND\s+steps\[1\]\s+no element matched "#row-0" within 5000 ms\s+0,1,2$/,
      ),
    ]);
    const json = JSON.parse((await fleet.cli(['batches', 'errors', id, '--json'])).stdout);
    expect(json).toMatchObject({ batchId: id, errors: [{ count: 5, withEvidence: 3 }] });
  });

  it('cancel cancels once; cancelling a finished batch is the API refusal', async () => {
    const result = await fleet.cli(['batches', 'cancel', id]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `^batch ${id} cancelled: \\d+ waiting items removed; 1 completed, 1 failed before \\(of 3\\)`,
      ),
    );
    const shown = await fleet.cli(['batches', 'show', id, '--json']);
    expect(JSON.parse(shown.stdout)).toMatchObject({ status: 'cancelled' });

    const done = batchIdIn((await fleet.cli(['submit', batchFile('done.json', 1)])).stdout)!;
    await fleet.finishItem(done, 0);
    const refused = await fleet.cli(['batches', 'cancel', done]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^BATCH_FINISHED: batch "\S+" already finished/);
  });

  it('delete removes a finished (here: cancelled) batch; a second delete is the API refusal', async () => {
    const result = await fleet.cli(['batches', 'delete', id]);
    expect(result).toMatchObject({ code: 0, stdout: `batch ${id} deleted with 0 artifacts\n` });
    const again = await fleet.cli(['batches', 'delete', id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`BATCH_NOT_FOUND: batch "${id}" was not found\n`);
  });
});

describe('fleet profiles', () => {
  it('add, list, quarantine and release a profile', async () => {
    const added = await fleet.cli([
      'profiles',
      'add',
      'p-cli-1',
      '--pool',
      'cli-pool',
      '--tags',
      'eu, fast',
      '--folder',
      'f1',
    ]);
    expect(added).toMatchObject({ code: 0, stdout: 'profile p-cli-1 added (pool "cli-pool", available)\n' });
    await fleet.cli(['profiles', 'add', 'p-cli-2', '--pool', 'cli-pool']);

    const listed = await fleet.cli(['profiles', 'list', '--pool', 'cli-pool']);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+POOL\s+STATE\s+TAGS/);
    // In the API's order (the pool's, not by id).
    const rows = lines.slice(1).map((l) => l.split(/\s+/).slice(0, 4));
    expect(rows.sort((a, b) => a[0]!.localeCompare(b[0]!))).toEqual([
      ['p-cli-1', 'cli-pool', 'available', 'eu,fast'],
      ['p-cli-2', 'cli-pool', 'available', '-'],
    ]);

    const quarantined = await fleet.cli([
      'profiles',
      'quarantine',
      'p-cli-1',
      '--reason',
      'captcha wall',
      '--duration-ms',
      '60000',
    ]);
    expect(quarantined).toMatchObject({
      code: 0,
      stdout: 'profile p-cli-1 quarantined (pool "cli-pool", quarantined)\n',
    });
    const byState = await fleet.cli(['profiles', 'list', '--state', 'quarantined', '--json']);
    const { profiles } = JSON.parse(byState.stdout) as {
      profiles: { id: string; quarantine: { reason: string } }[];
    };
    expect(profiles.map((p) => [p.id, p.quarantine.reason])).toEqual([['p-cli-1', 'captcha wall']]);

    const released = await fleet.cli(['profiles', 'release', 'p-cli-1']);
    expect(released).toMatchObject({
      code: 0,
      stdout: 'profile p-cli-1 released (pool "cli-pool", available)\n',
    });
    const again = await fleet.cli(['profiles', 'release', 'p-cli-1']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^PROFILE_NOT_QUARANTINED: /);
  });

  it("add --launcher records a profile's home; list shows it and which launcher hosts are down", async () => {
    const home = 'http://10.231.0.13:45001';
    const added = await fleet.cli([
      'profiles',
      'add',
      'p-home-1',
      '--pool',
      'hosts',
      '--launcher',
      home,
      '--json',
    ]);
    expect(JSON.parse(added.stdout)).toMatchObject({ id: 'p-home-1', launcher: home });
    await new RedisProviderHealth(fleet.redis, fleet.prefix).markDown(home, 'ECONNREFUSED', 'w1');
    const listed = await fleet.cli(['profiles', 'list', '--pool', 'hosts']);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+POOL\s+STATE\s+TAGS\s+LAUNCHER\s+HELD BY/);
    expect(lines[1]).toMatch(new RegExp(`^p-home-1\\s+hosts\\s+available\\s+-\\s+${home} \\(down\\)`));
    expect(lines[2]).toMatch(
      new RegExp(`^launcher ${home} unreachable since \\d{4}-\\d\\d-\\d\\d .*: ECONNREFUSED$`),
    );
    const bad = await fleet.cli([
      'profiles',
      'add',
      'p-home-2',
      '--pool',
      'hosts',
      '--launcher',
      '10.231.0.13',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^VALIDATION_FAILED: [\s\S]*launcher: must be a launcher origin/);
  });

  it('add without --pool is a usage error; a duplicate is the API refusal', async () => {
    const missing = await fleet.cli(['profiles', 'add', 'p-x']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      'missing --pool\nusage: fleet profiles add <id> --pool P [--tags a,b] [--folder F] [--launcher URL] [--json]\n',
    );
    const dup = await fleet.cli(['profiles', 'add', 'p-default-1', '--pool', 'other']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/^PROFILE_EXISTS: /);
  });

  it('import reports that no provider is configured (the API answer)', async () => {
    const result = await fleet.cli(['profiles', 'import', '--pool', 'imported', '--limit', '5']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^PROVIDER_NOT_CONFIGURED: no profile provider is configured/);
  });

  it('a user key is refused on admin routes', async () => {
    const result = await fleet.cli(['profiles', 'list'], { env: { FLEET_API_KEY: KEYS.acme.key } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^FORBIDDEN: /);
    expect(result.stderr).not.toContain(KEYS.acme.key);
  });
});

describe('settings', () => {
  it('reads the API URL and key from the file `fleet up` writes when no flag or env gives them', async () => {
    const upFile = join(dir, 'up.json');
    writeFileSync(
      upFile,
      JSON.stringify({
        apiUrl: fleet.apiUrl,
        notifierUrl: fleet.notifierUrl,
        apiKey: KEYS.ops.key,
        dashboardUrl: 'x',
      }),
    );
    const env = {
      FLEET_UP_FILE: upFile,
      FLEET_API_URL: undefined,
      FLEET_API_KEY: undefined,
      FLEET_NOTIFIER_URL: undefined,
    };
    const result = await fleet.cli(['batches', 'list', '--limit', '1'], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ID\s+NAME/);
  });

  it('a flag wins over the env (a wrong --api-key is refused, without printing either key)', async () => {
    const result = await fleet.cli(['batches', 'list', '--api-key', 'wrong-key-0123456789abcdef']);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')).toEqual([
      expect.stringMatching(/^UNAUTHORIZED: /),
      '  (the API key came from --api-key)',
      '',
    ]);
    expect(result.stderr + result.stdout).not.toMatch(/wrong-key|ops-admin-key/);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });
});

describe('fleet schedules', () => {
  it('add (cron or every-ms, upsert by id), list, pause, resume, rm; says what to fix', async () => {
    const file = batchFile('scheduled.json', 1);
    const added = await fleet.cli([
      'schedules',
      'add',
      file,
      '--cron',
      '0 0 1 1 *',
      '--timezone',
      'UTC',
      '--id',
      'yearly',
    ]);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toMatch(/^schedule yearly saved \(0 0 1 1 \* \(UTC\); next run /);
    const listed = await fleet.cli(['schedules', 'list']);
    expect(listed.stdout).toMatch(/^yearly\s+ops\s+0 0 1 1 \* \(UTC\)/m);
    const json = await fleet.cli(['schedules', 'list', '--json']);
    expect(JSON.parse(json.stdout).schedules).toEqual([
      expect.objectContaining({ id: 'yearly', runs: 0, batchName: 'scheduled.json' }),
    ]);
    expect((await fleet.cli(['schedules', 'pause', 'yearly'])).stdout).toContain(
      'schedule yearly paused (0 0 1 1 * (UTC); next run none: paused)',
    );
    expect((await fleet.cli(['schedules', 'resume', 'yearly'])).stdout).toMatch(/^schedule yearly resumed/);
    expect(await fleet.cli(['schedules', 'rm', 'yearly'])).toMatchObject({
      code: 0,
      stdout: 'schedule yearly removed (its batches stay)\n',
    });
    const gone = await fleet.cli(['schedules', 'pause', 'yearly']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('SCHEDULE_NOT_FOUND');

    const both = await fleet.cli(['schedules', 'add', file, '--cron', '0 3 * * *', '--every-ms', '60000']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give one of --cron and --every-ms');
    const badCron = await fleet.cli(['schedules', 'add', file, '--cron', 'nightly']);
    expect(badCron.code).toBe(1);
    expect(badCron.stderr).toContain('INVALID_SCHEDULE');
  });
});
