import { RetryableError } from '@fleet/core';
import { DEFAULT_RETRY } from './options.js';
import { backoffDelay, parseRetryAfter, withRetry } from './retry.js';

const policy = { baseDelayMs: 100, maxDelayMs: 1000 };

test('full jitter: the wait is random in [0, min(max, base * 2^(n-1))]', () => {
  expect(backoffDelay(1, policy, () => 0.999)).toBe(99);
  expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
  expect(backoffDelay(10, policy, () => 0.999)).toBe(999);
  expect(backoffDelay(2, policy, () => 0)).toBe(0);
});

test('Retry-After: delta-seconds or an HTTP date; garbage is ignored', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  expect(parseRetryAfter('3', now)).toBe(3000);
  expect(parseRetryAfter(['0'], now)).toBe(0);
  expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000);
  expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
  expect(parseRetryAfter('soon', now)).toBeUndefined();
  expect(parseRetryAfter(undefined, now)).toBeUndefined();
});

test('withRetry repeats transient errors of idempotent calls only, and sleeps as planned', async () => {
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };
  const busy = () => new RetryableError('PROVIDER_SERVER_ERROR', 'busy');
  let n = 0;
  const plan = {
    policy: { ...DEFAULT_RETRY, attempts: 3 },
    idempotent: true,
    waitForCore: false,
    sleep,
    random: () => 0.5,
  };
  await expect(
    withRetry(plan, async () => {
      n++;
      throw busy();
    }),
  ).rejects.toMatchObject({ code: 'PROVIDER_SERVER_ERROR' });
  expect(n).toBe(3);
  expect(sleeps).toEqual([250, 500]);

  n = 0;
  await expect(
    withRetry({ ...plan, idempotent: false }, async () => {
      n++;
      throw busy();
    }),
  ).rejects.toThrow('busy');
  expect(n).toBe(1);

  n = 0;
  const running = new RetryableError('PROFILE_ALREADY_RUNNING', 'running');
  await expect(
    withRetry(plan, async () => {
      n++;
      throw running;
    }),
  ).rejects.toBe(running);
  expect(n).toBe(1);
});

test('withRetry waits no less than Retry-After, and gives up on one longer than maxDelayMs', async () => {
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };
  const plan = {
    policy: { ...DEFAULT_RETRY, maxDelayMs: 5000 },
    idempotent: true,
    waitForCore: false,
    sleep,
    random: () => 0,
  };
  let n = 0;
  await withRetry(plan, async () => {
    if (++n === 1) throw new RetryableError('PROVIDER_RATE_LIMITED', 'slow down', { retryAfterMs: 2000 });
    return 'ok';
  });
  expect(sleeps).toEqual([2000]);
  const long = new RetryableError('PROVIDER_RATE_LIMITED', 'slow down', { retryAfterMs: 60_000 });
  await expect(
    withRetry(plan, async () => {
      throw long;
    }),
  ).rejects.toBe(long);
});
