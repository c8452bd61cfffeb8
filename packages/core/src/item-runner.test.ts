/**
 * ItemRunner's error policy over in-memory ports: what one attempt becomes (recorded, retry, lost,
 * requeue, no-profile, skipped) and what happens to its profile (kept warm, released with which
 * outcome, quarantined). Cancellation has its own file (item-runner-cancel.test.ts); the e2e suite
 * runs the same paths with Redis and Chromium.
 */
import { NonRetryableError, ProfileFaultError, ProviderUnreachableError, RetryableError } from './errors.js';
import { ItemRunner } from './item-runner.js';
import {
  type GatedDriver,
  type MemoryItemRunnerOptions,
  memoryItemRunner,
  memoryJob,
} from './testing/index.js';

const BATCH = 'b1';
const job = memoryJob(0);

function setup(options: MemoryItemRunnerOptions = {}) {
  return memoryItemRunner({ renewEveryMs: 60_000, ...options });
}

type Setup = ReturnType<typeof setup>;

/** Runs the job until the driver has it, then ends the run with `end`. */
async function runAndEnd(s: Setup, end: (driver: GatedDriver) => void) {
  const outcome = s.runner.run(job, s.ctx);
  await s.driver.whenStarted();
  end(s.driver);
  return outcome;
}

afterEach(() => {
  jest.useRealTimers();
});

describe('ItemRunner: one attempt', () => {
  it('records a completed item, publishes it, and keeps the profile warm', async () => {
    const s = setup();
    const outcome = await runAndEnd(s, (d) => d.finish());
    expect(outcome).toMatchObject({
      kind: 'recorded',
      batchDone: false,
      result: { state: 'completed', profileId: 'p1', attempts: 1, data: { ok: true } },
    });
    expect(s.events.types).toEqual(['item.started', 'item.completed']);
    expect(s.events.events[0]).toMatchObject({ profileId: 'p1', data: { attempt: 1, warm: false } });
    expect(s.sessions.heldCount).toBe(1);
    expect(s.profiles.outcomes).toEqual([]);
    await s.sessions.closeAll();
  });

  it('publishes nothing itself when the store publishes with its writes: the same events, once each', async () => {
    const s = setup({ storePublishes: true, batchTotal: 1 });
    const outcome = await runAndEnd(s, (d) => d.finish());
    expect(outcome).toMatchObject({ kind: 'recorded', batchDone: true });
    expect(s.events.types).toEqual(['item.started', 'item.completed', 'batch.completed']);
    expect(s.events.events[0]).toMatchObject({ profileId: 'p1', data: { attempt: 1, warm: false } });
    expect(s.events.events[1]).toMatchObject({
      itemId: 'b1.0',
      profileId: 'p1',
      data: { attempts: 1, progress: { total: 1, completed: 1, failed: 0 } },
    });
    await s.sessions.closeAll();
  });

  it('takes the batch status the take already read: a cancelled batch stops before any profile', async () => {
    const s = setup();
    const outcome = await s.runner.run(job, { ...s.ctx, batchCancelled: true });
    expect(outcome).toEqual({ kind: 'cancelled' });
    expect(s.sessions.heldCount).toBe(0);
    expect(s.events.types).toEqual([]);
  });

  it('fails the item at once on a non-retryable step failure, without blaming the profile', async () => {
    const s = setup();
    const error = new NonRetryableError('ASSERTION_FAILED', 'expected "ok"', {
      details: [{ message: 'x', step: 2 }],
    });
    const outcome = await runAndEnd(s, (d) => d.fail(error));
    expect(outcome).toMatchObject({
      kind: 'recorded',
      result: { state: 'failed', profileId: 'p1', error: { code: 'ASSERTION_FAILED', step: 2 } },
    });
    expect(s.profiles.outcomes).toEqual(['neutral']);
    expect(s.provider.running.size).toBe(0);
    expect(s.events.types).toEqual(['item.started', 'item.failed']);
  });

  it("records the failed step's path and evidence from the error's first detail; a bad evidence shape is dropped", async () => {
    const s = setup();
    const evidence = { screenshot: 'A'.repeat(22), html: 'B'.repeat(22), url: 'https://x.test/' };
    const error = new NonRetryableError('SELECTOR_NOT_FOUND', 'no element', {
      details: [
        { message: 'x', step: 1, path: 'steps[1].do[0]#3', evidence, artifactId: evidence.screenshot },
      ],
    });
    const outcome = await runAndEnd(s, (d) => d.fail(error));
    expect(outcome).toMatchObject({
      kind: 'recorded',
      result: {
        artifacts: { failure: evidence.screenshot },
        error: { code: 'SELECTOR_NOT_FOUND', step: 1, path: 'steps[1].do[0]#3', evidence },
      },
    });
    // The item.failed event names the path too (the CLI's watch prints it).
    expect(s.events.events[1]?.data).toMatchObject({
      error: { code: 'SELECTOR_NOT_FOUND', step: 1, path: 'steps[1].do[0]#3' },
    });
    const t = setup();
    const odd = new NonRetryableError('STEP_FAILED', 'x', {
      details: [{ message: 'x', step: 0, evidence: { screenshot: '../x' } }],
    });
    const second = await runAndEnd(t, (d) => d.fail(odd));
    expect(second).toMatchObject({ kind: 'recorded', result: { error: { code: 'STEP_FAILED', step: 0 } } });
    expect((second as { result: { error: object } }).result.error).not.toHaveProperty('evidence');
  });

  it('tells the driver whether this is the last attempt (evidence of a failure that will be retried is not taken)', async () => {
    const first = setup();
    await runAndEnd(first, (d) => d.fail(new RetryableError('NAVIGATION_FAILED', 'reset')));
    expect(first.driver.options[0]?.lastAttempt).toBe(false);
    const last = setup({ attempt: 3 });
    await runAndEnd(last, (d) => d.fail(new RetryableError('NAVIGATION_FAILED', 'reset')));
    expect(last.driver.options[0]?.lastAttempt).toBe(true);
  });

  it.each([
    'STEP_INPUT_INVALID',
    'OPTION_NOT_FOUND',
    'EXTRACT_INVALID',
    'EVALUATE_FAILED',
    'RESULT_TOO_LARGE',
    'STEP_LIMIT_EXCEEDED',
    'TAB_NOT_OPENED',
  ])(
    'fails the item at once on %s (a step any profile would fail), the profile released neutral',
    async (code) => {
      const s = setup();
      const outcome = await runAndEnd(s, (d) =>
        d.fail(new NonRetryableError(code, 'x', { details: [{ message: 'x', step: 1 }] })),
      );
      expect(outcome).toMatchObject({
        kind: 'recorded',
        result: { state: 'failed', attempts: 1, error: { code } },
      });
      expect(s.profiles.outcomes).toEqual(['neutral']);
    },
  );

  it('retries a retryable failure while attempts are left, releasing the profile as a failure', async () => {
    const s = setup();
    const outcome = await runAndEnd(s, (d) => d.fail(new RetryableError('NAVIGATION_FAILED', 'reset')));
    expect(outcome).toMatchObject({ kind: 'retry', error: { code: 'NAVIGATION_FAILED' } });
    expect(s.profiles.outcomes).toEqual(['failure']);
    expect(await s.results.get({ batchId: BATCH, index: 0 })).toBeNull();
  });

  it('records the failure on the last attempt', async () => {
    const s = setup({ attempt: 3 });
    const outcome = await runAndEnd(s, (d) => d.fail(new RetryableError('NAVIGATION_FAILED', 'reset')));
    expect(outcome).toMatchObject({ kind: 'recorded', result: { state: 'failed', attempts: 3 } });
    expect(s.profiles.outcomes).toEqual(['failure']);
  });

  it('quarantines the profile on a profile fault and retries on another', async () => {
    const s = setup({ profileIds: ['p1', 'p2'] });
    const outcome = await runAndEnd(s, (d) =>
      d.fail(new ProfileFaultError('PROFILE_PROXY_FAILED', 'proxy down')),
    );
    expect(outcome).toMatchObject({ kind: 'retry', error: { code: 'PROFILE_PROXY_FAILED' } });
    const p1 = await s.profiles.get('p1');
    expect(p1?.state).toBe('quarantined');
    expect(p1?.quarantine?.reason).toBe('PROFILE_PROXY_FAILED: proxy down');
    expect(s.profiles.outcomes).toEqual([]);

    const next = s.runner.run(job, { ...s.ctx, attempt: 2 });
    await s.driver.whenStarted(2);
    s.driver.finish();
    expect(await next).toMatchObject({ kind: 'recorded', result: { profileId: 'p2', attempts: 2 } });
    await s.sessions.closeAll();
  });

  it('answers no-profile when none is free, without recording anything', async () => {
    const s = setup();
    await s.sessions.checkout({ pool: 'default' });
    expect(await s.runner.run(job, s.ctx)).toEqual({ kind: 'no-profile' });
    expect(s.events.events).toEqual([]);
    await s.sessions.closeAll();
  });

  it("answers unreachable when the profile's launcher host is down: nothing recorded, no attempt spent, the profile not blamed", async () => {
    const s = setup();
    s.provider.beforeStart = () => {
      throw new ProviderUnreachableError('http://10.231.0.13:45001', 'not reachable');
    };
    expect(await s.runner.run(job, s.ctx)).toEqual({
      kind: 'unreachable',
      provider: 'http://10.231.0.13:45001',
    });
    expect(s.events.events).toEqual([]);
    expect(await s.results.get({ batchId: BATCH, index: 0 })).toBeNull();
    expect(s.profiles.outcomes).toEqual(['neutral']);
  });

  it('records DEADLINE_EXCEEDED without a profile when the deadline passed before the item ran', async () => {
    const s = setup();
    const outcome = await s.runner.run({ ...job, deadlineAt: Date.now() - 1 }, s.ctx);
    expect(outcome).toMatchObject({
      kind: 'recorded',
      result: { state: 'failed', profileId: null, error: { code: 'DEADLINE_EXCEEDED' } },
    });
    expect(s.provider.starts).toBe(0);
  });

  it('skips an item an earlier attempt recorded, and gives its profile back warm', async () => {
    const s = setup();
    await runAndEnd(s, (d) => d.finish());
    const again = await s.runner.run(job, { ...s.ctx, attempt: 2 });
    expect(again).toEqual({ kind: 'skipped', reason: 'already-recorded' });
    expect(s.sessions.stats).toMatchObject({ starts: 1, warmReuses: 1 });
    expect(s.events.types).toEqual(['item.started', 'item.completed']); // the done event is deduplicated
    await s.sessions.closeAll();
  });

  it('puts the job back (requeue) on shutdown, releasing the profile neutral', async () => {
    const s = setup();
    const outcome = await runAndEnd(s, () => s.controller.abort('shutdown'));
    expect(outcome).toEqual({ kind: 'requeue' });
    expect(s.profiles.outcomes).toEqual(['neutral']);
    expect(s.provider.running.size).toBe(0);
  });

  it('answers lost, writing nothing, when the lease is lost during the item', async () => {
    jest.useFakeTimers();
    const s = setup({ renewEveryMs: 100 });
    const outcome = s.runner.run(job, s.ctx);
    await jest.advanceTimersByTimeAsync(0);
    expect(s.driver.started).toBe(1);
    await s.profiles.quarantine('p1', 'operator says no', null);
    await jest.advanceTimersByTimeAsync(100);
    expect(await outcome).toEqual({ kind: 'lost', reason: 'the lease was lost during the item' });
    expect(await s.results.get({ batchId: BATCH, index: 0 })).toBeNull();
    expect(s.provider.running.size).toBe(0);
  });

  it('answers lost when the lease went while the browser started', async () => {
    jest.useFakeTimers();
    const s = setup({ renewEveryMs: 100 });
    const open = s.provider.holdStarts();
    const outcome = s.runner.run(job, s.ctx);
    await jest.advanceTimersByTimeAsync(0);
    await s.profiles.quarantine('p1', 'revoked', null);
    await jest.advanceTimersByTimeAsync(100);
    open();
    expect(await outcome).toMatchObject({ kind: 'lost' });
    expect(s.driver.started).toBe(0);
    expect(s.provider.running.size).toBe(0);
    expect(await s.results.get({ batchId: BATCH, index: 0 })).toBeNull();
  });

  it("fails the item when its batch's proxy is gone from the batch record", async () => {
    const s = setup();
    const runner = new ItemRunner({
      sessions: s.sessions,
      results: s.results,
      events: s.events,
      driver: s.driver,
      batchProxies: { proxyOf: async () => null },
    });
    const outcome = await runner.run({ ...job, batchProxy: true }, s.ctx);
    expect(outcome).toMatchObject({ kind: 'recorded', result: { error: { code: 'BATCH_PROXY_MISSING' } } });
    expect(s.provider.starts).toBe(0);
  });
});
