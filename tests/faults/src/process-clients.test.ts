/**
 * `CLIENT KILL TYPE normal` every 2 s for a minute (20 s in the short
 * profile) while a batch runs: every worker, API and test connection is cut again and again. The
 * batch must finish with no duplicate and no lost result, and throughput must come back once the
 * kills stop.
 */
import { createRedis } from '@fleet/redis';
import { sleep } from '@fleet/testing';
import { FaultFleet } from './support/fault-fleet.js';
import { report, size } from './support/scenario.js';

const ITEMS = size(220, 400);
const KILL_FOR_MS = size(20_000, 60_000);

const fleet = FaultFleet.forThisFile({ profiles: 4 });

/** Items recorded per second over `ms`. */
async function rate(batchId: string, ms: number): Promise<number> {
  const done = async () => {
    const p = await fleet.progress(batchId);
    return (p?.completed ?? 0) + (p?.failed ?? 0);
  };
  const before = await done();
  await sleep(ms);
  return ((await done()) - before) / (ms / 1000);
}

it(`CLIENT KILL TYPE normal every 2 s for ${KILL_FOR_MS / 1000} s: throughput recovers, no duplicates`, async () => {
  for (let i = 0; i < 3; i++) fleet.spawnWorker();
  const batchId = await fleet.submit(ITEMS);
  while (((await fleet.progress(batchId))?.completed ?? 0) < 5) await sleep(200);
  const before = await rate(batchId, 6000);

  const admin = createRedis(fleet.server.url, { role: 'worker', name: 'faults-killer' });
  admin.on('error', () => {});
  let kills = 0;
  let clients = 0;
  const started = Date.now();
  const killedDone = (async () => {
    while (Date.now() - started < KILL_FOR_MS) {
      // SKIPME yes (the default): the killer's own connection stays.
      clients += Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'normal'));
      kills++;
      await sleep(2000);
    }
  })();
  const during = await rate(batchId, KILL_FOR_MS - 1000);
  await killedDone;
  admin.disconnect();
  const remaining =
    ITEMS -
    (((await fleet.progress(batchId))?.completed ?? 0) + ((await fleet.progress(batchId))?.failed ?? 0));
  const after = remaining > 20 ? await rate(batchId, 6000) : Number.NaN;

  const finished = await fleet.waitForBatch(batchId, size(240_000, 600_000));
  const audit = await fleet.audit(batchId, ITEMS);
  const exits = await fleet.stopWorkers();
  const fmt = (n: number) => (Number.isNaN(n) ? 'n/a (batch nearly done)' : `${n.toFixed(1)}/s`);
  report(fleet, 'CLIENT KILL every 2 s', kills, audit, {
    note: `${finished ? 'finished' : 'DID NOT FINISH'}; ${clients} connections cut; items/s before ${fmt(before)}, during ${fmt(during)}, after ${fmt(after)}; workers exited ${exits.join(',')}`,
  });
  expect(clients).toBeGreaterThan(kills); // the kills did cut connections
  if (!Number.isNaN(after)) expect(after).toBeGreaterThan(0); // work goes on once they stop
  expect(exits).toEqual([0, 0, 0]);
}, 1_200_000);
