/**
 * The cancelled outcome of an attempt, over simple in-memory ports: an item of a cancelled batch
 * records nothing, publishes no item.completed/failed, gives its profile back `neutral` with the
 * browser stopped (never kept warm), and starts no browser when the batch was cancelled before.
 */
import { BatchCancelledError } from './errors.js';
import { memoryItemRunner, memoryJob } from './testing/index.js';

const BATCH = 'b1';
const job = memoryJob(0);

function setup(options: { renewEveryMs?: number } = {}) {
  // Warm reuse on: a cancelled item must still not keep its profile.
  return memoryItemRunner({ renewEveryMs: options.renewEveryMs ?? 60_000 });
}

type Setup = ReturnType<typeof setup>;

/** What every cancelled attempt leaves behind: nothing recorded or announced, nothing held. */
function expectCleanCancel(s: Setup) {
  expect(s.results.batches.get(BATCH)!.results.size).toBe(0);
  expect(s.events.types.filter((t) => t !== 'item.started')).toEqual([]);
  expect(s.provider.running.size).toBe(0);
  expect(s.sessions.heldCount).toBe(0);
  expect(s.profiles.leased).toBe(0);
}

describe('ItemRunner: a cancelled batch', () => {
  it('drops an item of an already-cancelled batch without starting a browser', async () => {
    const s = setup();
    s.results.cancel(BATCH);
    expect(await s.runner.run(job, s.ctx)).toEqual({ kind: 'cancelled' });
    expect(s.provider.starts).toBe(0);
    expect(s.profiles.outcomes).toEqual([]);
    expectCleanCancel(s);
    expect(s.events.events).toEqual([]);
  });

  it('aborts a running item whose signal fires with BatchCancelledError', async () => {
    const s = setup();
    const outcome = s.runner.run(job, s.ctx);
    await s.driver.whenStarted();
    s.results.cancel(BATCH); // the store is marked first, then the bus tells the worker
    s.controller.abort(new BatchCancelledError(BATCH));
    expect(await outcome).toEqual({ kind: 'cancelled' });
    expect(s.profiles.outcomes).toEqual(['neutral']);
    expectCleanCancel(s);
  });

  it('stops the item when extending its claim at lease renewal answers cancelled (missed bus message)', async () => {
    const s = setup({ renewEveryMs: 10 });
    const outcome = s.runner.run(job, s.ctx);
    await s.driver.whenStarted();
    s.results.cancel(BATCH); // and no signal: this worker never heard of it
    expect(await outcome).toEqual({ kind: 'cancelled' });
    expect(s.ctx.signal.aborted).toBe(false);
    expect(s.profiles.outcomes).toEqual(['neutral']);
    expectCleanCancel(s);
  });

  it('records nothing when the run ends just after the cancel (record refused)', async () => {
    const s = setup();
    s.driver.ignoreAbort = true;
    const outcome = s.runner.run(job, s.ctx);
    await s.driver.whenStarted();
    s.results.cancel(BATCH);
    s.driver.finish();
    expect(await outcome).toEqual({ kind: 'cancelled' });
    expect(s.profiles.outcomes).toEqual(['neutral']);
    expectCleanCancel(s);
  });

  it('gives back a freshly started browser when the claim is refused', async () => {
    const s = setup();
    // Cancelled after the runner's first look, before its claim: the claim says so.
    const isCancelled = s.results.isCancelled.bind(s.results);
    s.results.isCancelled = async (id) => {
      const answer = await isCancelled(id);
      s.results.cancel(BATCH);
      return answer;
    };
    expect(await s.runner.run(job, s.ctx)).toEqual({ kind: 'cancelled' });
    expect(s.provider.starts).toBe(1);
    expect(s.driver.started).toBe(0);
    expect(s.profiles.outcomes).toEqual(['neutral']);
    expectCleanCancel(s);
    expect(s.events.events).toEqual([]);
  });

  it('still keeps a profile warm after a completed item, and aborts for other reasons as before', async () => {
    const s = setup();
    const done = s.runner.run(job, s.ctx);
    await s.driver.whenStarted();
    s.driver.finish();
    expect(await done).toMatchObject({ kind: 'recorded', result: { state: 'completed' } });
    expect(s.sessions.heldCount).toBe(1); // warm
    expect(s.provider.running.size).toBe(1);

    const next = s.runner.run({ ...job, index: 1 }, s.ctx);
    await new Promise((r) => setImmediate(r));
    s.controller.abort('lock lost');
    expect(await next).toEqual({ kind: 'lost', reason: 'lock lost' });
    await s.sessions.closeAll();
  });
});

describe('ProfileSessions: a proxy password still sealed', () => {
  it('is never handed to the provider: the start fails with SECRET_KEY_MISSING and the profile is given back', async () => {
    const s = setup();
    const profile = s.profiles.profiles.get('p1')!;
    profile.proxy = { type: 'http', host: 'h', port: 1, password: 'enc:v1:AAAA' };
    await expect(s.sessions.checkout({ pool: 'default' })).rejects.toMatchObject({
      code: 'SECRET_KEY_MISSING',
    });
    expect(s.provider.starts).toBe(0);
    expect(s.sessions.heldCount).toBe(0);
    expect(s.profiles.leased).toBe(0);
    expect(s.profiles.outcomes).toEqual(['neutral']); // a configuration problem, not the profile's fault
  });
});
