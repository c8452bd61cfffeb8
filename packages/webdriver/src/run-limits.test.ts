import { Interrupted, RunLimits } from './run-limits.js';
import { sleep } from './waiting.js';

test('a far deadline does not fire (setTimeout would overflow past 2^31-1 ms)', async () => {
  const limits = new RunLimits(Date.now() + 40 * 24 * 3600 * 1000, new AbortController().signal);
  await sleep(20);
  expect(limits.signal.aborted).toBe(false);
  limits.dispose();
});

test('race rejects with the reason that came first, and the loser is not left unhandled', async () => {
  const controller = new AbortController();
  const limits = new RunLimits(Date.now() + 10_000, controller.signal);
  const never = new Promise<never>(() => {});
  await expect(limits.race(30, () => never)).rejects.toMatchObject({ reason: 'timeout' });
  setTimeout(() => controller.abort(new Error('stop')), 20);
  const late = (async () => {
    await sleep(200);
    throw new Error('too late');
  })();
  await expect(limits.race(5_000, () => late)).rejects.toMatchObject({ reason: 'aborted' });
  await expect(limits.race(5_000, async () => 1)).rejects.toBeInstanceOf(Interrupted);
  limits.dispose();
  await sleep(250);
});

test('a deadline already passed stops the run at once', () => {
  const limits = new RunLimits(Date.now() - 1, new AbortController().signal);
  expect(() => limits.throwIfStopped()).toThrow(Interrupted);
  expect((limits.signal.reason as Interrupted).reason).toBe('deadline');
  limits.dispose();
});
