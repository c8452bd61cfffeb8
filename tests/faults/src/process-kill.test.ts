/**
 * `kill -9` a worker that is in the middle of an item, again and again during
 * one batch (30 kills during 300 items with FAULTS_PROFILE=long). Every item must end with exactly
 * one result, no profile may be driven by two holders at once (the hold site's visit log), no lease
 * may outlive the batch, and no Chromium may be left running. The items are healthy, so none may
 * fail: a worker killed under an item is not the item's fault (all workers run on one host, and
 * ITEM_MAX_STALLS counts stalls per host; before, BullMQ's fixed limit failed an item killed under
 * three times ITEM_STALLED: 2 healthy items in one long run, issue 14).
 */
import { FaultFleet } from './support/fault-fleet.js';
import { faultBusyWorkers, report, size } from './support/scenario.js';

const ITEMS = size(60, 300);
const KILLS = size(8, 30);
const WORKERS = 3;

const fleet = FaultFleet.forThisFile({ profiles: 4 });

/** How many items stalled how often (BullMQ's count on each job): { stalls: items }. */
async function stallCounts(batchId: string): Promise<Record<number, number>> {
  const counts: Record<number, number> = {};
  for (let index = 0; index < ITEMS; index++) {
    const n = (await fleet.queue.getJob(`${batchId}.${index}`))?.stalledCounter ?? 0;
    counts[n] = (counts[n] ?? 0) + 1;
  }
  return counts;
}

it(`kill -9 of a busy worker ×${KILLS} during a ${ITEMS}-item batch: nothing lost, nothing doubled`, async () => {
  for (let i = 0; i < WORKERS; i++) fleet.spawnWorker();
  const batchId = await fleet.submit(ITEMS);
  const kills = await faultBusyWorkers(
    fleet,
    { batchId, times: KILLS, everyMs: [1500, 3500] },
    async (victim) => {
      victim.signal('SIGKILL');
      await victim.exited;
      fleet.spawnWorker();
    },
  );
  const finished = await fleet.waitForBatch(batchId, size(180_000, 600_000));
  const audit = await fleet.audit(batchId, ITEMS);
  const stalls = await stallCounts(batchId);
  const exits = await fleet.stopWorkers();
  report(fleet, 'kill -9 a busy worker', kills, audit, {
    note: `${finished ? 'finished' : 'DID NOT FINISH'}; survivors exited ${exits.join(',')}; stalls per item: ${JSON.stringify(stalls)}`,
  });
  expect(kills).toBeGreaterThanOrEqual(Math.min(KILLS, 3));
  expect(audit.failures).toEqual({});
  expect(exits.every((code) => code === 0)).toBe(true);
}, 1_200_000);
