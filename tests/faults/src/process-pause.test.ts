/**
 * SIGSTOP the worker holding a lease for longer than the lease TTL, then
 * SIGCONT (20 times with FAULTS_PROFILE=long). Meanwhile its lease expires and another worker
 * takes the profile and the item over; once it runs again, the paused worker's late writes must
 * be refused (stale fence), it must let go of the browser, and each item is recorded once.
 */
import { readFileSync } from 'node:fs';
import { sleep } from '@fleet/testing';
import { FaultFleet } from './support/fault-fleet.js';
import { between, faultBusyWorkers, report, size } from './support/scenario.js';

const ITEMS = size(50, 320);
const PAUSES = size(5, 20);
const LEASE_TTL_MS = 3000;

const fleet = FaultFleet.forThisFile({ profiles: 4, holdMs: 400 });

/** How often each kind of late write was turned away, from the workers' logs. */
function refusals(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const w of [...fleet.workers, ...fleet.retired]) {
    for (const line of readFileSync(w.logFile, 'utf8').split('\n')) {
      const match = /"reason":"([^"]+)".*"msg":"item attempt lost"|"msg":"(lease lost)"/.exec(line);
      const reason = match?.[1] ?? match?.[2];
      if (reason) counts[reason] = (counts[reason] ?? 0) + 1;
    }
  }
  return counts;
}

it(`SIGSTOP past the lease TTL, then SIGCONT ×${PAUSES}: late writes refused, each item recorded once`, async () => {
  for (let i = 0; i < 3; i++) fleet.spawnWorker();
  const batchId = await fleet.submit(ITEMS);
  const pauses = await faultBusyWorkers(
    fleet,
    { batchId, times: PAUSES, everyMs: [800, 2000] },
    async (victim) => {
      victim.signal('SIGSTOP');
      await sleep(LEASE_TTL_MS + between(1000, 3000));
      victim.signal('SIGCONT');
    },
  );
  const finished = await fleet.waitForBatch(batchId, size(180_000, 600_000));
  const audit = await fleet.audit(batchId, ITEMS);
  const exits = await fleet.stopWorkers();
  const refused = refusals();
  report(fleet, 'SIGSTOP past the lease TTL', pauses, audit, {
    note: `${finished ? 'finished' : 'DID NOT FINISH'}; turned away after a pause: ${JSON.stringify(refused)}; workers exited ${exits.join(',')}`,
  });
  expect(pauses).toBeGreaterThanOrEqual(Math.min(PAUSES, 3));
  // The pauses did cost leases: the paused workers noticed and wrote nothing under them.
  expect(Object.values(refused).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  expect(exits.every((code) => code === 0)).toBe(true);
}, 1_200_000);
