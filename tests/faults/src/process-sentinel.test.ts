/**
 * Redis Sentinel failover under load (issue 16): a master, 2 replicas and 3 Sentinels; workers,
 * API and notifier are child processes connected through the Sentinels (REDIS_SENTINELS, passwords
 * on data nodes and Sentinels). Each repetition runs a batch, SIGKILLs the master mid-batch, lets
 * the Sentinels promote a replica, then brings the old master back as a replica of the new one.
 * Per repetition: how long until workers record again, the API answers a request and the notifier
 * delivers an event (from the kill); lost, duplicated, double-held (the hold site's overlapping
 * visits of one profile) and events missing from the stream. Two repetitions here, five with
 * FAULTS_PROFILE=long.
 */

import type { FleetEvent } from '@fleet/contracts';
import { sleep } from '@fleet/testing';
import { FaultFleet } from './support/fault-fleet.js';
import { ask, connectClient } from './support/notifier.js';
import { report, size } from './support/scenario.js';

const REPETITIONS = size(2, 5);
const ITEMS = size(40, 60);

const fleet = FaultFleet.forThisFile({ profiles: 4, redis: 'sentinel' });

interface Repetition {
  workersMs: number;
  apiMs: number;
  notifierMs: number;
  failoverMs: number;
  lost: number;
  duplicated: number;
  doubleHeld: number;
  /** Finished items (recorded) without their item.completed/failed event on the stream. */
  eventsMissing: number;
  /** Events a notifier client received that the stream no longer has (written, then lost). */
  eventsVanished: number;
}

/** Milliseconds from `since` until `ok()` first holds (polled every 100 ms, up to 120 s). */
async function until(since: number, what: string, ok: () => Promise<boolean>): Promise<number> {
  for (;;) {
    if (await ok().catch(() => false)) return Date.now() - since;
    if (Date.now() - since > 120_000) throw new Error(`${what} did not work again within 120 s of the kill`);
    await sleep(100);
  }
}

it(`Sentinel failover under load (${REPETITIONS} × master SIGKILL): nothing lost, no profile double-held`, async () => {
  const sentinel = fleet.sentinel!;
  const api = await fleet.startApi();
  const notifier = await fleet.startNotifier();
  fleet.spawnWorker();
  fleet.spawnWorker();
  fleet.spawnWorker();
  const reps: Repetition[] = [];
  let items = 0;
  const lossesTotal = { lost: 0, duplicated: 0, doubleHeld: 0, leakedLeases: 0, leftoverBrowsers: 0 };
  const failures: Record<string, number> = {};
  let completed = 0;
  let failed = 0;
  let crossed = 0;
  const details: string[] = [];
  for (let rep = 0; rep < REPETITIONS; rep++) {
    const batchId = await fleet.submit(ITEMS);
    items += ITEMS;
    const client = await connectClient(notifier.port, api.key);
    const arrivals: number[] = [];
    client.socket.onAny(() => arrivals.push(Date.now()));
    try {
      expect(await ask(client.socket, 'subscribe', { batchId })).toMatchObject({ ok: true });
      // Mid-batch: a third done, so work is in flight on every worker when the master dies.
      while (((await fleet.progress(batchId))?.completed ?? 0) < ITEMS / 3) await sleep(100);
      const before = (await fleet.progress(batchId))!;
      const doneBefore = before.completed + before.failed;
      const old = await sentinel.master();
      const heldBefore = fleet.site.doubleHeld().count;
      const killedAt = Date.now();
      const dead = await sentinel.killMaster();
      const [failoverMs, workersMs, apiMs, notifierMs] = await Promise.all([
        sentinel.waitForNewMaster(old, 60_000).then(() => Date.now() - killedAt),
        until(killedAt, 'the workers', async () => {
          const p = await fleet.progress(batchId);
          return p !== null && (p.done || p.completed + p.failed > doneBefore);
        }),
        until(killedAt, 'the API', async () => {
          const res = await fetch(`${api.url}/v1/batches/${batchId}`, {
            headers: { authorization: `Bearer ${api.key}` },
            signal: AbortSignal.timeout(10_000),
          });
          return res.status === 200;
        }),
        until(killedAt, 'the notifier', async () => arrivals.some((t) => t > killedAt)),
      ]);
      await sentinel.restartAsReplica(dead);
      const finished = await fleet.waitForBatch(batchId, size(240_000, 400_000));
      if (!finished) details.push(`batch ${batchId} did not finish`);
      const audit = await fleet.audit(batchId, ITEMS);
      const stream = await fleet.eventsOf(batchId);
      const ids = new Set(stream.map((e) => e.id));
      const finishedOnStream = new Set(
        stream.filter((e) => e.type === 'item.completed' || e.type === 'item.failed').map((e) => e.itemId),
      );
      let eventsMissing = 0;
      for (let index = 0; index < ITEMS; index++) {
        if ((await fleet.results.get({ batchId, index })) && !finishedOnStream.has(`${batchId}.${index}`))
          eventsMissing++;
      }
      // Let the notifier pass on the last events before comparing what the client saw.
      await sleep(1000);
      const seen: FleetEvent[] = client.events(batchId);
      const eventsVanished = seen.filter((e) => !ids.has(e.id)).length;
      const doubleHeld = fleet.site.doubleHeld().count - heldBefore;
      reps.push({
        workersMs,
        apiMs,
        notifierMs,
        failoverMs,
        lost: audit.losses.lost,
        duplicated: audit.losses.duplicated,
        doubleHeld,
        eventsMissing,
        eventsVanished,
      });
      for (const key of ['lost', 'duplicated', 'leakedLeases', 'leftoverBrowsers'] as const)
        lossesTotal[key] += audit.losses[key];
      lossesTotal.doubleHeld += doubleHeld;
      completed += audit.completed;
      failed += audit.failed;
      crossed += audit.crossed;
      for (const [code, n] of Object.entries(audit.failures)) failures[code] = (failures[code] ?? 0) + n;
      details.push(...audit.details.filter((d) => !d.startsWith('visit log')));
      if (eventsMissing)
        details.push(`repetition ${rep + 1}: ${eventsMissing} finished items without their event`);
    } finally {
      client.socket.close();
    }
  }
  const exits = await fleet.stopWorkers();
  const perRep = reps
    .map(
      (r, i) =>
        `#${i + 1}: failover ${r.failoverMs} ms, workers ${r.workersMs} ms, API ${r.apiMs} ms, notifier ${r.notifierMs} ms; lost ${r.lost}, duplicated ${r.duplicated}, double-held ${r.doubleHeld}, events missing ${r.eventsMissing}, events seen then lost ${r.eventsVanished}`,
    )
    .join(' | ');
  const eventsMissing = reps.reduce((n, r) => n + r.eventsMissing, 0);
  report(
    fleet,
    'Sentinel failover (master SIGKILL, old master back as replica)',
    REPETITIONS,
    {
      losses: lossesTotal,
      total: items,
      completed,
      failed,
      failures,
      crossed,
      details,
      visitLogComplete: true,
    },
    { note: `${perRep}; workers exited ${exits.join(',')}` },
  );
  expect(eventsMissing).toBe(0);
  expect(exits.every((e) => e === 0)).toBe(true);
}, 1_800_000);
