import { setTimeout as delay } from 'node:timers/promises';
import { RetryableError } from '@fleet/core';
import type { RetryOptions } from './options.js';

/**
 * Codes of RetryableErrors this client repeats by itself, for calls that are safe to repeat.
 * PROFILE_ALREADY_RUNNING is retryable too, but only after a stop: the provider does that, not here.
 * PROVIDER_CORE_DOWNLOADING is repeated with its own pause (see `coreDownloadPauseMs`).
 */
/**
 * Transient failures where the provider provably did not act: no connection was made, or it said
 * 429 ("not processed, come back later"). Repeating these is safe for any call, a start included.
 */
export const NOT_ACTED_CODES: ReadonlySet<string> = new Set([
  'PROVIDER_UNAVAILABLE',
  'PROVIDER_RATE_LIMITED',
]);

export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'PROVIDER_UNAVAILABLE',
  'PROVIDER_CONNECTION_LOST',
  'PROVIDER_TIMEOUT',
  'PROVIDER_RATE_LIMITED',
  'PROVIDER_SERVER_ERROR',
]);

/** Exponential backoff with full jitter (AWS architecture blog): random in [0, min(max, base·2^n)]. */
export function backoffDelay(
  retryNumber: number,
  policy: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retryNumber - 1));
  return Math.floor(random() * ceiling);
}

/** `Retry-After` is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). Undefined if unusable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  const text = raw.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

export interface RetryPlan {
  policy: RetryOptions;
  /** Whether this call may be repeated after a transient failure (429, 5xx, connection errors). */
  idempotent: boolean;
  /** Whether CORE_DOWNLOADING_* answers are waited out (the start call). */
  waitForCore: boolean;
  onRetry?: (info: { attempt: number; delayMs: number; error: RetryableError }) => void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const realSleep = (ms: number): Promise<void> => delay(ms);

/**
 * Run `attempt` until it succeeds, throws something that is not to be repeated here, or the plan is
 * used up; the last error is thrown as it is (a domain error that says what to do next).
 */
export async function withRetry<T>(plan: RetryPlan, attempt: (n: number) => Promise<T>): Promise<T> {
  const sleep = plan.sleep ?? realSleep;
  const startedAt = Date.now();
  let transientRetries = 0;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const delayMs = nextDelay(error, plan, transientRetries + 1, Date.now() - startedAt);
      if (delayMs === undefined || !(error instanceof RetryableError)) throw error;
      if (error.code !== 'PROVIDER_CORE_DOWNLOADING') transientRetries++;
      plan.onRetry?.({ attempt: n, delayMs, error });
      await sleep(delayMs);
    }
  }
}

/** How long to wait before the next attempt, or undefined to give up and throw. */
function nextDelay(
  error: unknown,
  plan: RetryPlan,
  retryNumber: number,
  elapsedMs: number,
): number | undefined {
  if (!(error instanceof RetryableError)) return undefined;
  const { policy } = plan;
  if (error.code === 'PROVIDER_CORE_DOWNLOADING') {
    if (!plan.waitForCore || elapsedMs + policy.coreDownloadPauseMs > policy.coreDownloadMaxMs)
      return undefined;
    return Math.max(policy.coreDownloadPauseMs, error.retryAfterMs ?? 0);
  }
  if (!TRANSIENT_CODES.has(error.code)) return undefined;
  if (!plan.idempotent && !NOT_ACTED_CODES.has(error.code)) return undefined;
  if (retryNumber >= policy.attempts) return undefined;
  const jittered = backoffDelay(retryNumber, policy, plan.random);
  if (error.retryAfterMs === undefined) return jittered;
  // The server said when: never earlier than that, and not at all if that is further than we may wait.
  if (error.retryAfterMs > policy.maxDelayMs) return undefined;
  return Math.max(error.retryAfterMs, jittered);
}
