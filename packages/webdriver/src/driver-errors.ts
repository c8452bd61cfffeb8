import type { StepKind } from '@fleet/contracts';
import {
  type ErrorDetail,
  FatalError,
  type FleetError,
  isFleetError,
  NonRetryableError,
  ProfileFaultError,
  RetryableError,
} from '@fleet/core';
import { Interrupted } from './run-limits.js';

/** Every code `WebdriverioDriver.run` fails with (see the BrowserDriver port). */
export type DriverErrorCode =
  | 'BROWSER_UNAVAILABLE'
  | 'NAVIGATION_FAILED'
  | 'TARGET_BLOCKED'
  | 'SELECTOR_NOT_FOUND'
  | 'ASSERTION_FAILED'
  | 'STEP_FAILED'
  | 'DEADLINE_EXCEEDED'
  | 'ABORTED'
  | 'STEP_LIMIT_EXCEEDED'
  | 'RESULT_TOO_LARGE'
  | 'TAB_NOT_OPENED';

/** Where a failure happened: a step (index and kind), or outside any (attach, final read). */
export interface StepRef {
  /** The top-level step's index (the one holding the failed step when it is nested). */
  index: number | null;
  kind: StepKind | null;
  /** The failed step's path into nested steps: `steps[3]`, `steps[1].then[0]`, `steps[2].do[0]#7`. */
  path?: string;
  /** The step's own timeout, for messages. */
  timeoutMs?: number;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The first line of a WebDriver error, without WebdriverIO's `when running "url" with method
 * "POST"` and chromedriver's `(Session info: …)` trailers.
 */
export function errorText(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  const line = raw.split('\n')[0] ?? raw;
  return truncate(line.replace(/^WebDriverError:\s*/, '').replace(/ when running ".*$/, ''), 300);
}

function where(ref: StepRef): string {
  if (ref.index === null) return '';
  return ` (at ${ref.path ?? `steps[${ref.index}]`}, ${ref.kind})`;
}

type Kind = FleetError['kind'];

/**
 * The error's message names the step by its path; its one detail carries step (the top-level
 * index), kind, path and the bare message, the shape the item result's `error` is read from.
 */
function build(kind: Kind, code: string, message: string, ref: StepRef, cause?: unknown): FleetError {
  const detail: ErrorDetail = { step: ref.index, kind: ref.kind, message };
  if (ref.index !== null) detail.path = ref.path ?? `steps[${ref.index}]`;
  const options = { cause, details: [detail] };
  const full = `${message}${where(ref)}`;
  switch (kind) {
    case 'retryable':
      return new RetryableError(code, full, {
        ...options,
        retryAfterMs: cause instanceof RetryableError ? cause.retryAfterMs : undefined,
      });
    case 'profile-fault':
      return new ProfileFaultError(code, full, options);
    case 'fatal':
      return new FatalError(code, full, options);
    default:
      return new NonRetryableError(code, full, options);
  }
}

function interrupted(error: Interrupted, ref: StepRef): FleetError {
  if (error.reason === 'aborted') {
    const cause = error.cause instanceof Error ? error.cause.message : error.cause;
    // The worker aborts with an Error (lease lost) or a plain word ('shutdown'): say which.
    const why = typeof cause === 'string' && cause !== '' ? `: ${truncate(cause, 200)}` : '';
    return build('non-retryable', 'ABORTED', `the run was aborted${why}`, ref, error.cause);
  }
  if (error.reason === 'deadline') {
    return build('non-retryable', 'DEADLINE_EXCEEDED', "the item's deadline passed", ref);
  }
  if (ref.kind === 'goto') {
    return build('retryable', 'NAVIGATION_FAILED', `the page did not load within ${ref.timeoutMs} ms`, ref);
  }
  return build('non-retryable', 'STEP_FAILED', `the step did not finish within ${ref.timeoutMs} ms`, ref);
}

// The session or the browser behind it went away: another attempt, maybe on a fresh start, can
// succeed. "Failed to fetch" / ECONNREFUSED is WebdriverIO's wording for a closed port.
const SESSION_LOST =
  /invalid session id|no such window|chrome not reachable|not connected to devtools|session deleted|target window already closed|disconnected|failed to fetch|fetch failed|econnrefused|econnreset|socket hang up|und_err|aborted due to timeout/i;
const NET_ERROR = /net::(ERR_[A-Z0-9_]+)/;
const COMMAND_TIMEOUT = /^timeout\b|timed out receiving message from renderer/i;

function fromWebDriver(error: unknown, ref: StepRef): FleetError {
  const text = errorText(error);
  const named = `${error instanceof Error ? error.name : ''} ${text}`;
  if (SESSION_LOST.test(named)) {
    return build('retryable', 'BROWSER_UNAVAILABLE', `the WebDriver session was lost: ${text}`, ref, error);
  }
  const net = NET_ERROR.exec(text);
  if (net)
    return build('retryable', 'NAVIGATION_FAILED', `navigation failed with net::${net[1]}`, ref, error);
  if (COMMAND_TIMEOUT.test(named.trim())) {
    return ref.kind === 'goto'
      ? build(
          'retryable',
          'NAVIGATION_FAILED',
          `the page did not load within ${ref.timeoutMs} ms`,
          ref,
          error,
        )
      : build('non-retryable', 'STEP_FAILED', `the browser timed out: ${text}`, ref, error);
  }
  return build('non-retryable', 'STEP_FAILED', text, ref, error);
}

/**
 * A step overran its timeout while a WebDriver command got no answer, and the driver's own
 * `/status` does not answer either: the browser's host or driver is unreachable (a cut network, a
 * wedged driver), not the item's fault. Retryable, like a lost session.
 */
export function driverUnreachable(ref: StepRef): FleetError {
  return build(
    'retryable',
    'BROWSER_UNAVAILABLE',
    `the browser did not answer: the step got no reply within ${ref.timeoutMs} ms and the WebDriver endpoint does not answer`,
    ref,
  );
}

/**
 * Any failure inside a run → a domain error that says what to do next, with
 * `details: [{ step, kind, path, message }]` (step and kind null, no path, outside a step).
 */
export function toDomainError(error: unknown, ref: StepRef): FleetError {
  if (error instanceof Interrupted) return interrupted(error, ref);
  // A domain error from inside a step (or a guard) keeps its kind and code, and gains the step.
  if (isFleetError(error)) return build(error.kind, error.code, error.message, ref, error);
  return fromWebDriver(error, ref);
}
