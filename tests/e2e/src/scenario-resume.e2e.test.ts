/**
 * A code scenario item survives its worker's death: the worker (a real process) is killed with
 * SIGKILL right after the item's first checkpoint; once the job's lock expires another worker
 * process takes the item and resumes from that checkpoint (the session it carried), without
 * "logging in" again, and the item completes once.
 */
import { join } from 'node:path';
import { BatchService } from '@fleet/core';
import { BullItemQueue } from '@fleet/queue';
import { RedisCheckpointStore } from '@fleet/redis';
import { REPO_ROOT } from '@fleet/testing';
import { E2E_WAIT, Fleet, POOL, waitFor } from './harness.js';

const SCENARIOS = join(REPO_ROOT, 'tests/e2e/scenarios');

let fleet: Fleet;
beforeAll(async () => {
  fleet = await Fleet.start({ profiles: 2 });
});
afterAll(() => fleet?.close());

it('kill -9 after the first checkpoint: another worker resumes from it, without logging in again', async () => {
  const tight = {
    leaseTtlMs: 3000,
    jobLockMs: 3000,
    warmIdleMs: 0,
    workerConcurrency: 1,
    scenariosDir: SCENARIOS,
  };
  const doomed = fleet.spawnWorker({ ...tight, workerId: 'doomed' });
  const batchId = `resume${Date.now()}`;
  await new BatchService(fleet.batches, new BullItemQueue(fleet.queue)).submit({
    batchId,
    pool: POOL,
    scenario: { name: 'resume-probe', version: '1' },
    items: [{ site: fleet.site.url, holdMs: 30_000 }],
    itemTimeoutMs: 60_000,
  });
  const ref = { batchId, index: 0 };
  const checkpoints = new RedisCheckpointStore(fleet.redis, fleet.prefix);
  const first = await waitFor('the first checkpoint', async () => (await checkpoints.get(ref)) ?? undefined, {
    ...E2E_WAIT,
    context: () => doomed.log(),
  });
  expect(first).toMatchObject({ name: 'logged-in', attempt: 1, value: { pid: doomed.pid } });
  doomed.signal('SIGKILL');
  expect(await doomed.exited).toBe('SIGKILL');

  const survivor = fleet.spawnWorker({ ...tight, workerId: 'survivor' });
  const events = await fleet.waitForBatch(batchId);
  const [result] = await fleet.resultsOf(batchId, 1);
  const session = (first.value as { session: string }).session;
  expect(result).toMatchObject({
    state: 'completed',
    data: {
      resumedFrom: 'logged-in',
      logins: 0,
      session,
      checkpointPid: doomed.pid,
      pid: survivor.pid,
      heading: 'Products',
    },
  });
  expect(events.filter((e) => e.type === 'item.completed')).toHaveLength(1);
  // One "login" in all; the page after it saw the checkpoint's session cookie in the new browser.
  expect(fleet.site.visitsTo('/cookie')).toHaveLength(1);
  const after = fleet.site.visits.filter((v) => v.path === '/?after=login');
  expect(after).toHaveLength(1);
  expect(after[0]?.cookie).toContain(session);
  expect(await checkpoints.get(ref)).toMatchObject({ name: 'done' });
});
