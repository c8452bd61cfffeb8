/**
 * Redis stopped for 5 s and for 35 s while a batch runs (bullmq#4585 is the
 * known trap: a worker that never resumes after a long outage). The workers must carry on without
 * a restart, the API must answer 503 at once while Redis is away (not hang, not 500), and no item
 * may be lost. The redis-server keeps an append-only file, so a stop is an outage, not a wipe.
 */

import { sleep } from '@fleet/testing';
import { FaultFleet } from './support/fault-fleet.js';
import { report, size } from './support/scenario.js';

const ITEMS = size(80, 240);
const OUTAGES_S = [5, 35];

const fleet = FaultFleet.forThisFile({ profiles: 4 });

interface Probe {
  status: number | null;
  ms: number;
}

async function probe(url: string, key: string): Promise<Probe> {
  const started = Date.now();
  try {
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${key}` },
      signal: AbortSignal.timeout(15_000),
    });
    await res.arrayBuffer();
    return { status: res.status, ms: Date.now() - started };
  } catch {
    return { status: null, ms: Date.now() - started };
  }
}

it(`Redis stopped for ${OUTAGES_S.join(' s and ')} s under load: workers resume, the API answers 503, nothing lost`, async () => {
  const api = await fleet.startApi();
  const workers = [fleet.spawnWorker(), fleet.spawnWorker(), fleet.spawnWorker()];
  const batchId = await fleet.submit(ITEMS);
  const batchUrl = `${api.url}/v1/batches/${batchId}`;
  const during: Probe[] = [];
  const recoveries: number[] = [];
  let fiveXx = 0;
  for (const seconds of OUTAGES_S) {
    const target = Math.min(ITEMS - 20, ((await fleet.progress(batchId))?.completed ?? 0) + 15);
    while (((await fleet.progress(batchId))?.completed ?? 0) < target) await sleep(200);
    await fleet.server.stop();
    const until = Date.now() + seconds * 1000;
    while (Date.now() < until) {
      const p = await probe(batchUrl, api.key);
      during.push(p);
      await sleep(Math.max(0, Math.min(1000, until - Date.now())));
    }
    await fleet.server.resume();
    const back = Date.now();
    for (;;) {
      const p = await probe(batchUrl, api.key);
      if (p.status === 200) break;
      if (p.status !== null && p.status >= 500 && p.status !== 503) fiveXx++;
      if (Date.now() - back > 60_000)
        throw new Error(`the API did not recover within 60 s (last ${p.status})`);
      await sleep(200);
    }
    recoveries.push(Date.now() - back);
  }
  // Answers during the outages: 503 REDIS_UNAVAILABLE, promptly; anything else ≥ 500 counts.
  fiveXx += during.filter((p) => p.status !== null && p.status >= 500 && p.status !== 503).length;
  const finished = await fleet.waitForBatch(batchId, size(240_000, 600_000));
  const audit = await fleet.audit(batchId, ITEMS);
  const exits = await fleet.stopWorkers();
  const slowest = Math.max(...during.map((p) => p.ms));
  report(fleet, 'Redis stopped 5 s and 35 s', OUTAGES_S.length, audit, {
    fiveXx,
    note: `${finished ? 'finished' : 'DID NOT FINISH'}; API during outages: ${during.length} probes, ${during.filter((p) => p.status === 503).length} × 503, slowest ${slowest} ms; API back ${recoveries.join(' / ')} ms after Redis; the 3 workers were never restarted, exited ${exits.join(',')}`,
  });
  expect(during.length).toBeGreaterThan(10);
  expect(during.every((p) => p.status === 503)).toBe(true);
  // The same three processes did all of it: none was restarted or replaced.
  expect(workers.every((w) => !w.crashed)).toBe(true);
  expect(exits).toEqual([0, 0, 0]);
}, 1_200_000);
