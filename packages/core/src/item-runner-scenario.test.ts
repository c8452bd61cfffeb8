/**
 * ItemRunner with a code scenario, over in-memory ports: the item's last checkpoint goes in, the
 * scenario's checkpoints are written under this attempt's claim, a refused one stops the attempt
 * (taken over: lost, the profile given back neutral; cancelled: cancelled), and a worker without
 * the scenario retries it elsewhere before any profile is started.
 */
import type { ItemJob } from '@fleet/contracts';
import { ItemRunner } from './item-runner.js';
import type { ScenarioCall, ScenarioRunner } from './ports/scenario-runner.js';
import {
  GatedDriver,
  MemoryCheckpointStore,
  MemoryEventPublisher,
  MemoryResultStore,
  memorySessions,
} from './testing/index.js';

const job: ItemJob = {
  batchId: 'b1',
  index: 0,
  selector: { pool: 'default' },
  scenario: { name: 'shop', version: '1' },
  input: { q: 'lamp' },
  itemTimeoutMs: 60_000,
  stepTimeoutMs: 15_000,
};

/** A scenario runner (core's port) that hands each call to the test. */
function scripted(run: (call: ScenarioCall) => Promise<Record<string, unknown>>): ScenarioRunner {
  return {
    has: (s) => s.name === 'shop' && s.version === '1',
    run: async (_endpoint, call) => ({ data: await run(call), artifacts: {}, url: null, title: null }),
  };
}

function setup(scenarios: ScenarioRunner | undefined) {
  const fleet = memorySessions();
  const results = new MemoryResultStore();
  results.add('b1', 1);
  const checkpoints = new MemoryCheckpointStore(results);
  const runner = new ItemRunner({
    sessions: fleet.sessions,
    results,
    events: new MemoryEventPublisher(),
    driver: new GatedDriver(),
    ...(scenarios ? { scenarios } : {}),
    checkpoints,
  });
  const ctx = { attempt: 2, maxAttempts: 3, signal: new AbortController().signal };
  return { ...fleet, results, checkpoints, runner, ctx };
}

it('gives the scenario the last checkpoint and writes new ones under its claim', async () => {
  const seen: ScenarioCall[] = [];
  const s = setup(
    scripted(async (call) => {
      seen.push(call);
      await call.checkpoint('cart', { lines: 1 });
      return { resumedFrom: call.resumed?.name ?? null };
    }),
  );
  s.checkpoints.saved.set('b1.0', { name: 'login', value: { user: 'ana' }, at: 1, attempt: 1 });
  const outcome = await s.runner.run(job, s.ctx);
  expect(outcome).toMatchObject({
    kind: 'recorded',
    result: { state: 'completed', data: { resumedFrom: 'login' } },
  });
  expect(seen[0]).toMatchObject({
    input: { q: 'lamp' },
    attempt: 2,
    resumed: { name: 'login', value: { user: 'ana' } },
  });
  expect(await s.checkpoints.get({ batchId: 'b1', index: 0 })).toMatchObject({
    name: 'cart',
    value: { lines: 1 },
    attempt: 2,
  });
  await s.sessions.closeAll();
});

it('stops an attempt whose checkpoint is refused: taken over → lost (profile back neutral), cancelled → cancelled', async () => {
  const s = setup(
    scripted(async (call) => {
      // Another attempt claims the item meanwhile (this one's job lock was lost).
      await s.results.claim({ batchId: 'b1', index: 0 }, 999, Date.now() + 60_000);
      await call.checkpoint('cart', {});
      return {};
    }),
  );
  expect(await s.runner.run(job, s.ctx)).toMatchObject({ kind: 'lost' });
  expect(s.profiles.outcomes).toEqual(['neutral']);
  expect(await s.results.get({ batchId: 'b1', index: 0 })).toBeNull();

  const c = setup(
    scripted(async (call) => {
      c.results.cancel('b1');
      await call.checkpoint('cart', {});
      return {};
    }),
  );
  expect(await c.runner.run(job, c.ctx)).toEqual({ kind: 'cancelled' });
  expect(c.profiles.outcomes).toEqual(['neutral']);
});

it('retries an item whose scenario this worker lacks, before starting any profile', async () => {
  const s = setup(undefined);
  expect(await s.runner.run(job, s.ctx)).toMatchObject({
    kind: 'retry',
    error: { code: 'SCENARIO_UNAVAILABLE' },
  });
  expect(s.provider.running.size).toBe(0);
  expect(s.profiles.outcomes).toEqual([]);
});
