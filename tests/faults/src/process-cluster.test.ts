/**
 * Redis Cluster failover under load (issue 16): 3 masters with a replica each, a password on every
 * node; the API and 3 workers are child processes connected with REDIS_CLUSTER_NODES. Mid-batch the
 * master serving the hot queue's slot (`{items}`) is SIGKILLed; its replica takes over (cluster
 * node timeout 1 s) and the killed node comes back as a replica. The batch must complete with
 * nothing lost or duplicated, no profile double-held, no lease leaked, and the workers never
 * restarted. One repetition here, three with FAULTS_PROFILE=long.
 */

import { sleep } from '@fleet/testing';
import { FaultFleet } from './support/fault-fleet.js';
import { AuditTally, report, size } from './support/scenario.js';

const REPETITIONS = size(1, 3);
const ITEMS = size(40, 60);

const fleet = FaultFleet.forThisFile({ profiles: 4, redis: 'cluster' });

it(`Cluster failover under load (${REPETITIONS} × SIGKILL of the {items} master): nothing lost, no profile double-held`, async () => {
  const cluster = fleet.cluster!;
  const api = await fleet.startApi();
  const workers = [fleet.spawnWorker(), fleet.spawnWorker(), fleet.spawnWorker()];
  const tally = new AuditTally();
  /** What the loss figures do not count: a batch that never finished, an API that did not answer. */
  const stuck: string[] = [];
  const notes: string[] = [];
  for (let rep = 0; rep < REPETITIONS; rep++) {
    const batchId = await fleet.submit(ITEMS);
    // A third done: work is in flight on every worker when the master dies.
    while (((await fleet.progress(batchId))?.completed ?? 0) < ITEMS / 3) await sleep(100);
    const heldBefore = fleet.site.doubleHeld().count;
    const hot = await cluster.masterIndexOf(`${fleet.prefix}:{items}:wait`);
    const killedAt = Date.now();
    const { killed, promoted } = await cluster.killMaster(hot);
    const failoverMs = Date.now() - killedAt;
    await cluster.revive(killed);
    const finished = await fleet.waitForBatch(batchId, size(240_000, 400_000));
    if (!finished) stuck.push(`batch ${batchId} did not finish`);
    const apiStatus = (
      await fetch(`${api.url}/v1/batches/${batchId}`, { headers: { authorization: `Bearer ${api.key}` } })
    ).status;
    if (apiStatus !== 200) stuck.push(`the API answered ${apiStatus} after the failover`);
    const audit = await fleet.audit(batchId, ITEMS);
    const doubleHeld = fleet.site.doubleHeld().count - heldBefore;
    tally.add(audit, doubleHeld);
    notes.push(
      `#${rep + 1}: killed :${killed.port} (master of {items}), :${promoted.port} promoted after ${failoverMs} ms; lost ${audit.losses.lost}, duplicated ${audit.losses.duplicated}, double-held ${doubleHeld}`,
    );
  }
  const exits = await fleet.stopWorkers();
  report(
    fleet,
    'Redis Cluster failover (SIGKILL of the {items} master, back as replica)',
    REPETITIONS,
    tally.audit,
    { note: `${notes.join(' | ')}; workers exited ${exits.join(',')}` },
  );
  expect(stuck).toEqual([]);
  expect(workers.every((w) => !w.crashed)).toBe(true);
  expect(exits.every((e) => e === 0)).toBe(true);
}, 1_800_000);
