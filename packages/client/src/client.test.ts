/**
 * Every method of the SDK against a real API (buildServer listening on loopback) on the test
 * Redis; no worker runs: the test records results as a worker does (TestStack.finishItem).
 */
import type { BatchView, CreateBatchInput } from '@fleet/contracts';
import { TEST_KEYS } from '@fleet/testing';
import { FleetApiError, FleetClient } from './index.js';
import { TestStack } from './testing/test-stack.js';

let stack: TestStack;
let ops: FleetClient;
let acme: FleetClient;

const batch = (items: number, name = 'sdk batch'): CreateBatchInput => ({
  name,
  steps: [{ goto: 'https://example.test/{{path}}' }, { extract: { name: 'title', selector: 'h1' } }],
  items: Array.from({ length: items }, (_, i) => ({ path: `p${i}` })),
});

beforeAll(async () => {
  stack = await TestStack.start({ name: 'client' });
  ops = new FleetClient({ apiUrl: stack.apiUrl, apiKey: TEST_KEYS.ops.key });
  acme = new FleetClient({ apiUrl: stack.apiUrl, apiKey: TEST_KEYS.acme.key });
});
afterAll(() => stack.close());

const all = async <T>(rows: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const row of rows) out.push(row);
  return out;
};

describe('batches', () => {
  it('submit queues a batch; the same Idempotency-Key answers the same batch; get reads it', async () => {
    const first = await acme.submit(batch(3), { idempotencyKey: 'sdk-once' });
    expect(first).toMatchObject({ status: 'queued', total: 3, owner: 'acme', name: 'sdk batch' });
    const again = await acme.submit(batch(3), { idempotencyKey: 'sdk-once' });
    expect(again.id).toBe(first.id);
    // Without a key of the caller's, each submit is its own batch (a random key each time).
    const other = await acme.submit(batch(1));
    expect(other.id).not.toBe(first.id);
    expect(await acme.get(first.id)).toMatchObject({ id: first.id, total: 3, completed: 0 });
  });

  it('list pages through every batch (newest first) and filters by state', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await ops.submit(batch(1, `list ${i}`))).id);
    await ops.cancel(ids[1]!);
    const pages: string[][] = [];
    const first = await ops.listPage({ limit: 2 });
    pages.push(first.rows.map((b) => b.id));
    expect(first.rows).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const listed = await all(ops.list({ limit: 2 }));
    // Newest first; the ops key (admin) also sees acme's batches, which came before.
    expect(listed.slice(0, 5).map((b) => b.id)).toEqual([...ids].reverse());
    expect(new Set(listed.map((b) => b.id)).size).toBe(listed.length);
    const cancelled = await all(ops.list({ limit: 2, state: 'cancelled' }));
    expect(cancelled.map((b) => b.id)).toEqual([ids[1]]);
    // A user key sees its own batches only.
    expect((await all(acme.list())).every((b) => b.owner === 'acme')).toBe(true);
  });

  it('items pages in index order and filters by state; item reads one', async () => {
    const b = await ops.submit(batch(7));
    await stack.finishItem(b.id, 2);
    await stack.finishItem(b.id, 5, { error: { code: 'STEP_TIMEOUT', message: 'waited', step: 1 } });
    const items = await all(ops.items(b.id, { limit: 3 }));
    expect(items.map((i) => i.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect((await ops.itemsPage(b.id, { limit: 3 })).nextCursor).toBe('3');
    expect((await all(ops.items(b.id, { state: 'completed', limit: 1 }))).map((i) => i.index)).toEqual([2]);
    expect(await ops.item(b.id, 5)).toMatchObject({ state: 'failed', error: { code: 'STEP_TIMEOUT' } });
  });

  it('results streams JSON Lines as item views, or CSV as text', async () => {
    const b = await ops.submit(batch(4));
    for (const i of [0, 1, 2, 3]) await stack.finishItem(b.id, i);
    const rows = await all(ops.results(b.id));
    expect(rows.map((r) => [r.index, r.state, r.result?.data.title])).toEqual(
      [0, 1, 2, 3].map((i) => [i, 'completed', `Item ${i}`]),
    );
    expect((await all(ops.results(b.id, { state: 'failed' }))).length).toBe(0);
    const csv = (await all(ops.results(b.id, { format: 'csv' }))).join('');
    const lines = csv.split('\r\n');
    expect(lines[0]).toMatch(/^index,state,data\.title,url,title,/);
    expect(lines.slice(1, 5).map((l) => l.split(',').slice(0, 3).join(','))).toEqual(
      [0, 1, 2, 3].map((i) => `${i},completed,Item ${i}`),
    );
  });

  it('cancel, errors and delete', async () => {
    const b = await ops.submit(batch(2));
    await stack.finishItem(b.id, 0, { error: { code: 'STEP_TIMEOUT', message: 'waited 1 s', step: 1 } });
    const errors = await ops.errors(b.id);
    expect(errors.batchId).toBe(b.id);
    const cancelled = await ops.cancel(b.id);
    expect(cancelled).toMatchObject({ id: b.id, status: 'cancelled' });
    expect(typeof cancelled.removed).toBe('number');
    // No webhook on this batch or its key: no deliveries; another key's view of it is a 404.
    await expect(ops.webhooks(b.id)).resolves.toEqual([]);
    await expect(acme.webhooks(b.id)).rejects.toMatchObject({ code: 'BATCH_NOT_FOUND', status: 404 });
    await expect(ops.delete(b.id)).resolves.toMatchObject({ id: b.id, deleted: true });
    await expect(ops.get(b.id)).rejects.toMatchObject({ code: 'BATCH_NOT_FOUND', status: 404 });
  });
});

describe('schedules', () => {
  it('save (an upsert by id), list, get, pause, resume, remove; an admin names the owner', async () => {
    const saved = await acme.schedules.save({
      id: 'sdk-yearly',
      cron: '0 0 1 1 *',
      timezone: 'UTC',
      batch: batch(1),
    });
    expect(saved).toMatchObject({
      id: 'sdk-yearly',
      owner: 'acme',
      paused: false,
      runs: 0,
      batchName: 'sdk batch',
    });
    const updated = await acme.schedules.save({
      id: 'sdk-yearly',
      cron: '0 0 2 1 *',
      batch: batch(1, 'renamed'),
    });
    expect(updated).toMatchObject({ cron: '0 0 2 1 *', batchName: 'renamed', createdAt: saved.createdAt });
    expect((await acme.schedules.list()).map((s) => s.id)).toEqual(['sdk-yearly']);
    expect((await ops.schedules.get('sdk-yearly', { owner: 'acme' })).owner).toBe('acme');
    expect(await acme.schedules.pause('sdk-yearly')).toMatchObject({ paused: true, nextRunAt: null });
    expect((await acme.schedules.resume('sdk-yearly')).paused).toBe(false);
    await acme.schedules.remove('sdk-yearly');
    const gone = await acme.schedules.get('sdk-yearly').catch((e: unknown) => e);
    expect(FleetApiError.is(gone, 'SCHEDULE_NOT_FOUND')).toBe(true);
    const bad = await acme.schedules.save({ cron: 'often', batch: batch(1) }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: 'INVALID_SCHEDULE', status: 400 });
  });
});

describe('typed errors', () => {
  it('an unknown or foreign batch is FleetApiError BATCH_NOT_FOUND (404)', async () => {
    const b = await ops.submit(batch(1));
    const error = await acme.get(b.id).catch((e: unknown) => e);
    expect(FleetApiError.is(error, 'BATCH_NOT_FOUND')).toBe(true);
    expect(error).toMatchObject({ status: 404, name: 'FleetApiError' });
  });

  it('a bad batch is VALIDATION_FAILED with the fields in details; the key is in no error', async () => {
    const error = (await acme
      .submit({ steps: [{ goto: 'not a url' }], items: [] } as unknown as CreateBatchInput)
      .catch((e: unknown) => e)) as FleetApiError;
    expect(error).toBeInstanceOf(FleetApiError);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.status).toBe(400);
    expect(error.details.map((d) => d.field)).toEqual(expect.arrayContaining(['items']));
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain(TEST_KEYS.acme.key);
  });

  it('a wrong key is UNAUTHORIZED (401); a user key on an admin route FORBIDDEN (403)', async () => {
    const wrong = new FleetClient({ apiUrl: stack.apiUrl, apiKey: 'not-a-key-0123456789abcdef' });
    await expect(wrong.get('x')).rejects.toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    await expect(acme.profiles.get('p-default-1')).rejects.toMatchObject({ code: 'FORBIDDEN', status: 403 });
  });
});

describe('profiles, pools, scenarios', () => {
  it('create, get, list (paged), update, quarantine, release, remove', async () => {
    for (let i = 0; i < 3; i++) await ops.profiles.create({ id: `sdk-${i}`, pool: 'sdk', tags: ['a'] });
    expect(await ops.profiles.get('sdk-0')).toMatchObject({ id: 'sdk-0', pool: 'sdk', tags: ['a'] });
    const listed = await all(ops.profiles.list({ pool: 'sdk', limit: 2 }));
    expect(listed.map((p) => p.id).sort()).toEqual(['sdk-0', 'sdk-1', 'sdk-2']);
    expect(await ops.profiles.update('sdk-1', { tags: ['b'] })).toMatchObject({ tags: ['b'] });
    expect(await ops.profiles.quarantine('sdk-2', { reason: 'sdk test' })).toMatchObject({
      state: 'quarantined',
      quarantine: { reason: 'sdk test' },
    });
    expect((await all(ops.profiles.list({ pool: 'sdk', state: 'quarantined' }))).map((p) => p.id)).toEqual([
      'sdk-2',
    ]);
    expect(await ops.profiles.release('sdk-2')).toMatchObject({ state: 'available' });
    await ops.profiles.remove('sdk-0');
    await expect(ops.profiles.get('sdk-0')).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND', status: 404 });
    await expect(ops.profiles.import({ pool: 'sdk' })).rejects.toMatchObject({
      code: 'PROVIDER_NOT_CONFIGURED',
    });
  });

  it('pools counts profiles; scenarios lists what workers advertise (none here)', async () => {
    const { pools } = await ops.pools();
    expect(pools.map((p) => p.pool)).toEqual(expect.arrayContaining(['default']));
    expect(await ops.scenarios.list()).toEqual([]);
  });
});

describe('wait (polling: no notifier given)', () => {
  it('resolves with the final view once the last item is recorded', async () => {
    const b = await ops.submit(batch(2));
    const waiting = ops.wait(b.id, { pollMs: 50 });
    let settled: BatchView | undefined;
    void waiting.then((v) => (settled = v));
    await stack.finishItem(b.id, 0);
    expect(settled).toBeUndefined();
    await stack.finishItem(b.id, 1);
    expect(await waiting).toMatchObject({ id: b.id, status: 'completed', completed: 2 });
  });

  it('is aborted by its signal', async () => {
    const b = await ops.submit(batch(1));
    const abort = new AbortController();
    const waiting = ops.wait(b.id, { pollMs: 50, signal: abort.signal });
    abort.abort(new Error('enough'));
    await expect(waiting).rejects.toThrow('enough');
  });
});

describe('results of an unknown batch', () => {
  it('throws the typed refusal before the first row, for JSON Lines and CSV alike', async () => {
    for (const format of ['jsonl', 'csv'] as const) {
      const error = await all(ops.results('nosuchbatch0000', { format } as { format: 'csv' })).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ name: 'FleetApiError', code: 'BATCH_NOT_FOUND', status: 404 });
    }
  });
});
