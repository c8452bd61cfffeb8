import type { RunStepsOptions, WebDriverEndpoint } from '@fleet/core';
import { RetryableError } from '@fleet/core';
import { remote } from 'webdriverio';
import { errorText, toDomainError } from './driver-errors.js';
import { Interrupted, RunLimits } from './run-limits.js';
import { sleep } from './waiting.js';

/** A WebdriverIO session (the `browser` object of its docs). */
export type Session = WebdriverIO.Browser;

export type DriverLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface AttachOptions {
  limits: RunLimits;
  /** Keep retrying a refused attach this long (a just-started port may not take a session yet). */
  retryForMs: number;
  /** Page-load and script timeouts of the session: the run's default step timeout. */
  stepTimeoutMs: number;
  logLevel: DriverLogLevel;
}

// Between the step timeout (chromedriver answers by then) and "never": only a wedged driver
// hits this, and then the request gives up instead of holding the worker for WebdriverIO's 120 s.
const REQUEST_SLACK_MS = 5_000;

/**
 * chromedriver keeps the page's console lines (and failed loads) for a failure's evidence
 * (evidence.ts: getLogs('browser'), classic mode). Works through an attach by debuggerAddress:
 * measured on Chromium through the launcher-style front (evidence.test.ts). Not in WebdriverIO's
 * capability types, hence spread from here.
 */
const CONSOLE_LOG = { 'goog:loggingPrefs': { browser: 'ALL' } };

function openSession(endpoint: WebDriverEndpoint, options: AttachOptions): Promise<Session> {
  return remote({
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    port: endpoint.port,
    path: endpoint.path,
    logLevel: options.logLevel,
    connectionRetryCount: 0,
    connectionRetryTimeout: options.stepTimeoutMs + REQUEST_SLACK_MS,
    capabilities: {
      // Plain capabilities: the endpoint is already bound to a running browser (launcher front
      // or Multilogin), and ending our session leaves that browser running.
      browserName: 'chrome',
      'wdio:enforceWebDriverClassic': true,
      // chromedriver answers a hanging navigation or script after these, inside the step's budget.
      timeouts: { implicit: 0, pageLoad: options.stepTimeoutMs, script: options.stepTimeoutMs },
      // A page's alert() would otherwise fail every later command with "unexpected alert open".
      unhandledPromptBehavior: 'dismiss',
      ...CONSOLE_LOG,
    },
  });
}

/** Ends a session without letting a slow or dead driver hold the caller; errors are ignored. */
export async function endSession(session: Session, waitMs = 2_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  // chromedriver runs a session's commands one at a time: a DELETE sent during a navigation waits
  // for it (up to the page-load timeout). The request stays sent; we just stop waiting for it.
  const gaveUp = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, waitMs);
  });
  try {
    await Promise.race([session.deleteSession().catch(() => undefined), gaveUp]);
  } finally {
    clearTimeout(timer);
  }
}

/** How long a reachable driver takes to answer `/status` at most (it answers in ~1 ms here). */
const STATUS_PROBE_MS = 2_000;

/**
 * Whether the session's WebDriver endpoint answers `GET /status` (any HTTP answer counts): served
 * apart from the session's own command queue, so it answers while a command is still running.
 */
export async function driverAnswers(session: Session, waitMs = STATUS_PROBE_MS): Promise<boolean> {
  const { protocol = 'http', hostname, port, path = '/' } = session.options;
  const base = `${protocol}://${hostname}:${port}${path.endsWith('/') ? path : `${path}/`}`;
  try {
    const answer = await fetch(`${base}status`, { signal: AbortSignal.timeout(waitMs) });
    await answer.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

function describe(endpoint: WebDriverEndpoint): string {
  return `${endpoint.protocol}://${endpoint.hostname}:${endpoint.port}${endpoint.path}`;
}

/**
 * Opens a WebDriver session on `endpoint`, retrying with short backoff for `retryForMs` (bounded by
 * the run's deadline and signal). Rejects with RetryableError `BROWSER_UNAVAILABLE` when no
 * attempt succeeds, or with `Interrupted` when the run stops first.
 */
export async function attachSession(endpoint: WebDriverEndpoint, options: AttachOptions): Promise<Session> {
  const started = Date.now();
  let backoffMs = 100;
  for (let attempt = 1; ; attempt++) {
    const pending = openSession(endpoint, options);
    try {
      return await options.limits.race(options.stepTimeoutMs + REQUEST_SLACK_MS, () => pending);
    } catch (error) {
      // Stopped waiting while the session may still come: end it when it does.
      pending.then(
        (late) => endSession(late),
        () => undefined,
      );
      if (error instanceof Interrupted && error.reason !== 'timeout') throw error;
      const elapsed = Date.now() - started;
      if (elapsed + backoffMs > options.retryForMs) {
        throw new RetryableError(
          'BROWSER_UNAVAILABLE',
          `no WebDriver session at ${describe(endpoint)} after ${attempt} attempts in ${elapsed} ms: ${errorText(error)}`,
          { cause: error, details: [{ step: null, kind: null, message: errorText(error) }] },
        );
      }
      await sleep(backoffMs, options.limits.signal);
      backoffMs = Math.min(backoffMs * 2, 1_000);
    }
  }
}

/** deleteSession takes ~5-35 ms here when the session is idle. */
const END_WAIT_MS = 2_000;
const ABORTED_END_WAIT_MS = 250;

/**
 * One run on a browser, as steps and scenarios both have it: the run's limits (deadline and signal,
 * RunLimits) over a session on `endpoint` (`session` when given, else a new one), `work` on it, and
 * the session ended afterwards unless `keep()` says to keep it (the browser keeps running). A
 * refused attach is a domain error (BROWSER_UNAVAILABLE, or the interruption that stopped it).
 */
export async function inSession<T>(
  endpoint: WebDriverEndpoint,
  options: Pick<RunStepsOptions, 'deadlineAt' | 'signal' | 'stepTimeoutMs'> & {
    retryForMs: number;
    logLevel: DriverLogLevel;
    session?: Session | undefined;
    keep?: () => boolean;
  },
  work: (session: Session, limits: RunLimits) => Promise<T>,
): Promise<T> {
  const limits = new RunLimits(options.deadlineAt, options.signal);
  try {
    const session =
      options.session ??
      (await attachSession(endpoint, {
        limits,
        retryForMs: options.retryForMs,
        stepTimeoutMs: options.stepTimeoutMs,
        logLevel: options.logLevel,
      }).catch((error: unknown) => {
        throw toDomainError(error, { index: null, kind: null });
      }));
    try {
      return await work(session, limits);
    } finally {
      // After an abort the caller wants the profile back now: the DELETE is still sent, but a
      // navigation in flight holds it (chromedriver runs one command at a time per session).
      if (!options.keep?.()) {
        await endSession(session, options.signal.aborted ? ABORTED_END_WAIT_MS : END_WAIT_MS);
      }
    }
  } finally {
    limits.dispose();
  }
}
