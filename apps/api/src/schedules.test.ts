/**
 * Scheduled batches through the real API over the test Redis, with TWO API processes' worth of
 * schedule workers on one prefix: BullMQ's job scheduler makes the runs (a cron pattern every
 * second, so real ticks come), each run makes exactly one batch carrying its scheduleId, a run
 * taken twice still makes one, and pause/resume/delete and bad input behave.
 */
import type { BatchView, ScheduleView } from '@fleet/contracts';
import { waitFor } from '@fleet/testing';
import { SCHEDULES_QUEUE } from './schedules/schedule-runner.js';
import { ACME_KEY, auth, json, OPS_KEY, OTHER_KEY, startTestApi, type TestApi } from './test-app.js';

const batch = {
  name: 'nightly prices',
  pool: 'default',
  steps: [{ goto: 'https://shop.test/' }],
  items: [{}],
};
type Err = { error: { code: string; details: { field: string }[] } };

let a: TestApi;
let b: TestApi;
beforeAll(async () => {
  a = await startTestApi({}, { runSchedules: true });
  b = await startTestApi({}, { runSchedules: true }, { prefix: a.prefix });
  await a.profiles.register({ id: 'p1', pool: 'default' });
});
afterAll(async () => {
  await b.app.close();
  await a.close();
});

const post = (t: TestApi, url: string, payload?: object, key = ACME_KEY) =>
  payload === undefined
    ? t.app.inject({ method: 'POST', url, headers: auth(key) })
    : t.app.inject({ method: 'POST', url, headers: auth(key), payload });
const get = (t: TestApi, url: string, key = ACME_KEY) => t.app.inject({ url, headers: auth(key) });

async function scheduledBatches(id: string): Promise<BatchView[]> {
  const page = json<{ batches: BatchView[] }>(await get(a, '/v1/batches?limit=1000'));
  return page.batches.filter((x) => x.scheduleId === id);
}

it('refuses a bad cron, timezone, timing or batch with a clear error', async () => {
  const cases: [unknown, number, string, string][] = [
    [{ cron: 'every day', batch }, 400, 'INVALID_SCHEDULE', 'cron'],
    [{ cron: '0 3 * * *', timezone: 'Mars/Olympus', batch }, 400, 'INVALID_SCHEDULE', 'timezone'],
    [{ cron: '0 3 * * *', everyMs: 60_000, batch }, 400, 'VALIDATION_FAILED', 'cron'],
    [{ everyMs: 10, batch }, 400, 'VALIDATION_FAILED', 'everyMs'],
    [{ everyMs: 60_000, batch: { ...batch, pool: 'nowhere' } }, 400, 'UNKNOWN_POOL', 'batch.pool'],
    [{ everyMs: 60_000, batch: { pool: 'default', items: [{}] } }, 400, 'VALIDATION_FAILED', 'steps'],
  ];
  for (const [body, status, code, field] of cases) {
    const res = await post(a, '/v1/schedules', body as object);
    expect([res.statusCode, json<Err>(res).error.code]).toEqual([status, code]);
    expect(
      json<Err>(res)
        .error.details.map((d) => d.field)
        .join(' '),
    ).toContain(field);
  }
});

it('upserts by id, shows it to its owner (and admins) only, and deletes it', async () => {
  const first = await post(a, '/v1/schedules', {
    id: 'weekly',
    cron: '0 3 * * 1',
    timezone: 'Europe/Paris',
    batch,
  });
  expect(first.statusCode).toBe(201);
  const again = await post(b, '/v1/schedules', {
    id: 'weekly',
    cron: '30 4 * * 1',
    timezone: 'Europe/Paris',
    batch,
  });
  expect(again.statusCode).toBe(200);
  const view = json<ScheduleView>(again);
  expect(view).toMatchObject({ id: 'weekly', owner: 'acme', cron: '30 4 * * 1', paused: false, runs: 0 });
  expect(Date.parse(view.nextRunAt ?? '')).toBeGreaterThan(Date.now());
  expect(view.createdAt).toBe(json<ScheduleView>(first).createdAt);
  expect(await a.app.schedules.queue.getJobSchedulersCount()).toBe(1);

  expect(
    json<{ schedules: ScheduleView[] }>(await get(a, '/v1/schedules')).schedules.map((s) => s.id),
  ).toEqual(['weekly']);
  expect((await get(a, '/v1/schedules/weekly', OTHER_KEY)).statusCode).toBe(404);
  expect(json<ScheduleView>(await get(a, '/v1/schedules/weekly?owner=acme', OPS_KEY)).owner).toBe('acme');

  const paused = json<ScheduleView>(await post(a, '/v1/schedules/weekly/pause'));
  expect(paused).toMatchObject({ paused: true, nextRunAt: null });
  expect(await a.app.schedules.queue.getJobScheduler('acme/weekly')).toBeUndefined();
  const resumed = json<ScheduleView>(await post(a, '/v1/schedules/weekly/resume'));
  expect(resumed.paused).toBe(false);
  expect(resumed.nextRunAt).not.toBeNull();

  const deleted = await a.app.inject({
    method: 'DELETE',
    url: '/v1/schedules/weekly',
    headers: auth(ACME_KEY),
  });
  expect(json(deleted)).toEqual({ id: 'weekly', deleted: true });
  expect(json<Err>(await get(a, '/v1/schedules/weekly')).error.code).toBe('SCHEDULE_NOT_FOUND');
  expect(await a.app.schedules.queue.getJobScheduler('acme/weekly')).toBeUndefined();
});

it("makes one batch per run with two APIs taking runs, each with the schedule's id", async () => {
  const res = await post(a, '/v1/schedules', { id: 'each-second', cron: '* * * * * *', batch });
  expect(res.statusCode).toBe(201);
  await waitFor(
    'three runs',
    async () => json<ScheduleView>(await get(a, '/v1/schedules/each-second')).runs >= 3,
    { timeoutMs: 20_000 },
  );
  await post(a, '/v1/schedules/each-second/pause');
  const queue = a.app.schedules.queue;
  // Wait for runs already handed out to finish, then compare the runs with the batches.
  await waitFor('no run in flight', async () => (await queue.getActiveCount()) === 0, { timeoutMs: 10_000 });
  const done = (await queue.getCompleted(0, 1000)).filter((j) => j.data.schedule === 'acme/each-second');
  const made = done.map((j) => j.returnvalue as string | null).filter((id): id is string => id !== null);
  const batches = await scheduledBatches('each-second');
  expect(new Set(made).size).toBe(made.length); // no two runs share a batch
  expect(batches.map((x) => x.id).sort()).toEqual([...made].sort());
  expect(batches.every((x) => x.name === 'nightly prices' && x.owner === 'acme')).toBe(true);
  const view = json<ScheduleView>(await get(a, '/v1/schedules/each-second'));
  expect(view.runs).toBe(made.length);
  expect(made).toContain(view.lastRun?.batchId);
  expect(queue.name).toBe(SCHEDULES_QUEUE);
});

it('a run taken twice (a stalled worker) still makes one batch', async () => {
  // New Year's midnight: no run of its own comes during the test, only the hand-made one.
  await post(a, '/v1/schedules', { id: 'twice', cron: '0 0 1 1 *', batch });
  const run = { id: 'repeat:acme/twice:1700000000000', data: { schedule: 'acme/twice' } };
  const first = await a.app.schedules.run(run);
  const second = await b.app.schedules.run(run);
  expect(first).not.toBeNull();
  expect(second).toBe(first);
  expect((await scheduledBatches('twice')).map((x) => x.id)).toEqual([first]);
  expect(json<ScheduleView>(await get(a, '/v1/schedules/twice')).runs).toBe(1);
});

it("notes a run refused because the batch's scenario is gone, or the owner's key was revoked", async () => {
  const yearly = '0 0 1 1 *'; // no run of their own during the test: only the hand-made ones
  await post(a, '/v1/schedules', { id: 'refused', cron: yearly, batch });
  // A scenario is checked at each run (no worker advertises this one): the run is refused.
  const scenario = { pool: 'default', scenario: 'gone', items: [{ q: 'x' }] };
  expect(
    (await post(a, '/v1/schedules', { id: 'later', cron: yearly, batch: scenario }, OTHER_KEY)).statusCode,
  ).toBe(201);
  expect(await a.app.schedules.run({ id: 'run-1', data: { schedule: 'other/later' } })).toBeNull();
  const view = json<ScheduleView>(await get(a, '/v1/schedules/later', OTHER_KEY));
  expect(view.lastError).toMatchObject({ code: 'SCENARIO_UNKNOWN' });
  expect(view.runs).toBe(0);

  expect((await post(a, '/v1/keys/acme/revoke', undefined, OPS_KEY)).statusCode).toBe(200);
  try {
    await waitFor('the revocation to reach the API', () =>
      a.app.schedules.run({ id: 'run-2', data: { schedule: 'acme/refused' } }).then((id) => id === null),
    );
    const refused = json<ScheduleView>(await get(a, '/v1/schedules/refused?owner=acme', OPS_KEY));
    expect(refused.lastError).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(refused.lastError?.message).toContain('revoked');
  } finally {
    await post(a, '/v1/keys/acme/restore', undefined, OPS_KEY);
  }
});
