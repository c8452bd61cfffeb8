/**
 * The launcher (the provider every worker starts its browsers through) is
 * killed with SIGKILL mid-batch and started again a few seconds later on the same port and data.
 * Items in flight fail over and are retried, profiles come back into use, and no Chromium is left
 * behind — neither the killed launcher's orphans nor anything started since. Every other kill lands
 * while a browser is starting (spawned, DevTools not up yet), the moment a crash used to orphan it.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumsUsing, sleep, waitFor } from '@fleet/testing';
import { FaultFleet } from './support/fault-fleet.js';
import { report, size } from './support/scenario.js';

const ITEMS = size(60, 200);
const CRASHES = size(2, 5);

const fleet = FaultFleet.forThisFile({ profiles: 4 });

it(`launcher killed mid-batch and restarted ×${CRASHES}: items retry, profiles come back, no leak`, async () => {
  for (let i = 0; i < 3; i++) fleet.spawnWorker();
  const batchId = await fleet.submit(ITEMS);
  let crashes = 0;
  let duringStart = 0;
  for (let i = 0; i < CRASHES; i++) {
    if (i % 2 === 0) {
      const target = ((await fleet.progress(batchId))?.completed ?? 0) + 10;
      while (((await fleet.progress(batchId))?.completed ?? 0) < Math.min(target, ITEMS - 10))
        await sleep(200);
    } else {
      // The restart killed every browser, so the workers start their profiles again right away.
      const caught = await waitFor(
        'a browser starting (or the batch over)',
        async () => (startingBrowser() ? 'start' : (await fleet.progress(batchId))?.done && 'done'),
        { timeoutMs: 60_000, intervalMs: 25 },
      );
      if (caught === 'start') duringStart++;
    }
    if ((await fleet.progress(batchId))?.done) break;
    const old = fleet.launcher;
    old.signal('SIGKILL'); // only the launcher: its Chromiums are orphaned, as in a real crash
    await old.exited;
    crashes++;
    await sleep(3000);
    await fleet.startLauncher();
  }
  const finished = await fleet.waitForBatch(batchId, size(240_000, 600_000));
  const audit = await fleet.audit(batchId, ITEMS);
  const exits = await fleet.stopWorkers();
  const used = new Set<string>();
  for (let index = 0; index < ITEMS; index++) {
    const r = await fleet.results.get({ batchId, index });
    if (r?.profileId) used.add(r.profileId);
  }
  report(fleet, 'launcher killed and restarted', crashes, audit, {
    note: `${finished ? 'finished' : 'DID NOT FINISH'}; ${duringStart} kills during a browser start; ${used.size} profiles did the work; workers exited ${exits.join(',')}`,
  });
  expect(crashes).toBeGreaterThanOrEqual(1);
  expect(duringStart).toBeGreaterThanOrEqual(1);
  expect(used.size).toBe(4); // every profile came back into use
  expect(exits).toEqual([0, 0, 0]);
}, 1_200_000);

/**
 * Whether a profile's Chromium runs without its DevToolsActivePort (the launcher removes it before
 * each start; Chromium writes it once DevTools listens): a start the launcher has not answered yet.
 */
function startingBrowser(): boolean {
  return fleet.profileIds.some((id) => {
    const dir = join(fleet.launcherDataDir, 'profiles', id);
    return !existsSync(join(dir, 'DevToolsActivePort')) && chromiumsUsing(dir).length > 0;
  });
}
