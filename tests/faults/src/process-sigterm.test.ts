/**
 * SIGTERM to every worker at once, mid-batch. Each must release its leases at
 * once (stopping its browsers), let in-flight items finish or put them back, and exit 0; a new
 * set of workers then completes the batch.
 */

import { sleep } from '@fleet/testing';
import { FaultFleet } from './support/fault-fleet.js';
import { report, size } from './support/scenario.js';

const ITEMS = size(60, 200);
const ROUNDS = size(3, 6);

const fleet = FaultFleet.forThisFile({ profiles: 4 });

it(`SIGTERM to every worker mid-batch ×${ROUNDS}: leases back at once, exit 0, the batch completes`, async () => {
  const batchId = await fleet.submit(ITEMS);
  const leasedAfterStop: number[] = [];
  const allExits: (number | string)[] = [];
  let rounds = 0;
  for (let i = 0; i < ROUNDS; i++) {
    for (let w = 0; w < 3; w++) fleet.spawnWorker();
    const target = ((await fleet.progress(batchId))?.completed ?? 0) + 8;
    while (((await fleet.progress(batchId))?.completed ?? 0) < Math.min(target, ITEMS - 5)) await sleep(100);
    if ((await fleet.progress(batchId))?.done) break;
    allExits.push(...(await fleet.stopWorkers(20_000)));
    rounds++;
    // Right after the last exit, before any lease could have expired (TTL 3 s): nothing held.
    leasedAfterStop.push((await fleet.profiles.counts('default')).leased);
  }
  fleet.spawnWorker();
  fleet.spawnWorker();
  const finished = await fleet.waitForBatch(batchId, size(240_000, 600_000));
  const audit = await fleet.audit(batchId, ITEMS);
  allExits.push(...(await fleet.stopWorkers()));
  report(fleet, 'SIGTERM to every worker', rounds, audit, {
    note: `${finished ? 'finished' : 'DID NOT FINISH'}; leased right after each stop: ${leasedAfterStop.join(',')}; exits ${allExits.join(',')}`,
  });
  expect(rounds).toBeGreaterThanOrEqual(2);
  expect(leasedAfterStop.every((n) => n === 0)).toBe(true);
  expect(allExits.every((code) => code === 0)).toBe(true);
}, 1_200_000);
