import type { LeafStep } from '@fleet/contracts';
import { NonRetryableError } from '@fleet/core';
import { errorText, truncate } from '../driver-errors.js';
import { firstElement, IN_PAGE_WAIT_CHUNK_MS, SCOPE_SELECTOR, waitInPage } from '../page-queries.js';
import type { StepContext } from '../step-actions.js';
import { pollUntil } from '../waiting.js';

// Helpers every leaf action shares: find within the step's scope, wait, act, fail with a code.

type LeafOf<K extends string> = Extract<LeafStep, { [P in K]: unknown }>;
/** The body of a leaf step of kind K: `StepSpec<'select'>` is `{selector, value?, label?, …}`. */
export type StepSpec<K extends string> = LeafOf<K>[K & keyof LeafOf<K>];

export function quoted(selector: string): string {
  return `"${truncate(selector, 200)}"`;
}

export function selectorNotFound(selector: string, timeoutMs: number): NonRetryableError {
  return new NonRetryableError(
    'SELECTOR_NOT_FOUND',
    `no element matched ${quoted(selector)} within ${timeoutMs} ms`,
  );
}

/** A step's input that only the run could check (a variable's JSON, a file of the batch). */
export function stepInputInvalid(message: string): NonRetryableError {
  return new NonRetryableError('STEP_INPUT_INVALID', message);
}

// The element is there but cannot take the action yet (covered, hidden, re-rendered): look again.
const NOT_READY = /element click intercepted|element not interactable|stale element reference|not clickable/i;

export function isNotReady(error: unknown): boolean {
  return NOT_READY.test(`${error instanceof Error ? error.name : ''} ${errorText(error)}`);
}

/**
 * Waits (up to the step timeout) for the first element matching `selector` in the step's scope:
 * in the page (`waitInPage`, in chunks of at most a second and of half the session's script
 * timeout), else (a page that cannot wait: an invalid selector, a document unloading) by looking
 * over WebDriver every 100 ms.
 */
export async function waitForElement(selector: string, ctx: StepContext): Promise<string> {
  const end = Date.now() + ctx.timeoutMs;
  const chunkMs = Math.min(IN_PAGE_WAIT_CHUNK_MS, Math.floor((ctx.scriptTimeoutMs ?? 0) / 2));
  if (chunkMs >= MIN_IN_PAGE_WAIT_MS && selector !== SCOPE_SELECTOR) {
    for (;;) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const left = end - Date.now();
      const found = await waitInPage(ctx.session, selector, Math.max(0, Math.min(chunkMs, left)), ctx.scope);
      if (typeof found === 'string') return found;
      if (found === undefined) break; // the page could not wait: look over WebDriver
      if (Date.now() >= end) throw selectorNotFound(selector, ctx.timeoutMs);
    }
  }
  const found = await pollUntil(() => firstElement(ctx.session, selector, ctx.scope), {
    timeoutMs: Math.max(0, end - Date.now()),
    signal: ctx.signal,
  });
  if (found === undefined) throw selectorNotFound(selector, ctx.timeoutMs);
  return found;
}

/** Below this an in-page wait is not worth its round trip. */
const MIN_IN_PAGE_WAIT_MS = 50;

/**
 * Finds the first match and applies `act` to it until it succeeds or the step's timeout passes.
 * Never found → SELECTOR_NOT_FOUND; found but never ready → STEP_FAILED with the last reason.
 * Answers the element acted on.
 */
export async function onElement(
  selector: string,
  verb: string,
  ctx: StepContext,
  act: (element: string) => Promise<unknown>,
): Promise<string> {
  let seen = false;
  let reason = '';
  const done = await pollUntil(
    async () => {
      const element = await firstElement(ctx.session, selector, ctx.scope);
      if (element === undefined) return undefined;
      seen = true;
      try {
        await act(element);
        return element;
      } catch (error) {
        if (!isNotReady(error)) throw error;
        reason = errorText(error);
        return undefined;
      }
    },
    { timeoutMs: ctx.timeoutMs, signal: ctx.signal },
  );
  if (done !== undefined) return done;
  if (!seen) throw selectorNotFound(selector, ctx.timeoutMs);
  throw new NonRetryableError(
    'STEP_FAILED',
    `${quoted(selector)} was found but could not be ${verb} within ${ctx.timeoutMs} ms: ${reason}`,
  );
}
