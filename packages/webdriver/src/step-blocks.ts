import {
  type BlockStep,
  FOREACH_DEFAULT,
  type ForEachStep,
  type FrameStep,
  type IfStep,
  PAGES_DEFAULT,
  type PaginateStep,
  type Step,
  type TabStep,
} from '@fleet/contracts';
import { NonRetryableError } from '@fleet/core';
import { conditionHolds, waitForCondition } from './conditions.js';
import { errorText, truncate } from './driver-errors.js';
import { ELEMENT_KEY, elementRef, findAll, firstElement } from './page-queries.js';
import { runStep, type StepContext } from './step-actions.js';
import { accumulatingNames, mergePage, type StepData } from './step-data.js';
import type { RunContext } from './step-runner.js';
import { pollUntil } from './waiting.js';

/** What nested steps run against. */
export interface Frame {
  /** Where extracts write: the item's data, a forEach record, a page of a paginate. */
  data: StepData;
  /** Inside forEach: the current element's id (selectors are searched within it). */
  scope?: string | undefined;
  /** Inside a loop: the nearest loop's iteration (from 0), the `#k` of step paths. */
  iteration?: number | undefined;
}

/** Where a step sits. */
export interface Place {
  /** The top-level step's index. */
  index: number;
  /** Its path without the iteration suffix: `steps[2].do[0]`. */
  structural: string;
  frame: Frame;
}

/** The interpreter, as blocks see it (step-runner.ts). */
export interface BlockRunner {
  readonly ctx: RunContext;
  /** True once the run was aborted or its deadline passed. */
  readonly stopped: boolean;
  readonly budget: { pending: Set<unknown> };
  runNested(steps: Step[], at: Place, field: 'then' | 'else' | 'do', frame: Frame): Promise<void>;
  /** Bounds one wait of a block by `timeoutMs` (plus a grace), the deadline and the signal. */
  race<T>(timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T>;
  stepContext(frame: Frame, signal: AbortSignal, timeoutMs: number): StepContext;
  newData(): StepData;
}

function quoted(selector: string): string {
  return `"${truncate(selector, 200)}"`;
}

export async function runBlock(step: BlockStep, at: Place, r: BlockRunner): Promise<void> {
  if ('if' in step) return ifBlock(step, at, r);
  if ('forEach' in step) return forEach(step, at, r);
  if ('paginate' in step) return paginate(step, at, r);
  if ('frame' in step) return frame(step, at, r);
  return tab(step, at, r);
}

async function ifBlock(step: IfStep, at: Place, r: BlockRunner): Promise<void> {
  const { waitMs = 0, ...condition } = step.if;
  const { session, stepTimeoutMs } = r.ctx;
  const held = await r.race(waitMs + stepTimeoutMs, (signal) =>
    waitForCondition(session, condition, { waitMs, signal, scope: at.frame.scope }),
  );
  if (held) await r.runNested(step.then, at, 'then', at.frame);
  else if (step.else) await r.runNested(step.else, at, 'else', at.frame);
}

/** Throws when a forEach element left the page since the loop found it. */
async function ensureAttached(r: BlockRunner, element: string, selector: string, k: number): Promise<void> {
  let attached: unknown;
  try {
    attached = await r.ctx.session.executeScript('return arguments[0].isConnected === true', [
      elementRef(element),
    ]);
  } catch (error) {
    if (!/stale element|no such element/i.test(errorText(error))) throw error;
    attached = false;
  }
  if (attached !== true) {
    throw new NonRetryableError(
      'STEP_FAILED',
      `element ${k} of ${quoted(selector)} is no longer in the page: it changed while forEach ran`,
    );
  }
}

/**
 * Runs `do` once per element found at the start (document order, up to max), inside it
 * (`scope`), writing into a record per element; data[as] = the records.
 */
async function forEach(step: ForEachStep, at: Place, r: BlockRunner): Promise<void> {
  const { selector, as, max = FOREACH_DEFAULT } = step.forEach;
  const timeout = r.ctx.stepTimeoutMs;
  const found = await r.race(timeout, () => findAll(r.ctx.session, selector, at.frame.scope));
  const records: Array<Record<string, unknown>> = [];
  r.budget.pending.add(records);
  try {
    for (const [k, element] of found.slice(0, max).entries()) {
      await r.race(timeout, () => ensureAttached(r, element, selector, k));
      const record = r.newData();
      r.budget.pending.add(record);
      try {
        await r.runNested(step.do, at, 'do', { data: record, scope: element, iteration: k });
      } finally {
        r.budget.pending.delete(record);
      }
      // fromEntries defines own properties: a "__proto__" name stays plain data.
      records.push(Object.fromEntries(record));
    }
  } finally {
    r.budget.pending.delete(records);
  }
  at.frame.data.place(as, records);
}

// The next control, if it can be used: present, displayed and not disabled.
const NEXT_SCRIPT = `
var sel = arguments[0], scope = arguments[1], root = scope || document;
var el = root.querySelector(sel);
if (!el) return null;
var shown = typeof el.checkVisibility === 'function'
  ? el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })
  : el.getClientRects().length > 0;
if (!shown || el.disabled === true || el.getAttribute('aria-disabled') === 'true') return null;
return el;`;

async function usableNext(r: BlockRunner, selector: string, scope: string | undefined) {
  const root = scope === undefined ? null : elementRef(scope);
  const found = (await r.ctx.session.executeScript(NEXT_SCRIPT, [selector, root])) as Record<
    string,
    string
  > | null;
  return found?.[ELEMENT_KEY];
}

/** True once `element` left the page (a navigation or a re-render replaced it). */
async function gone(r: BlockRunner, element: string): Promise<boolean> {
  try {
    const attached = await r.ctx.session.executeScript('return arguments[0].isConnected === true', [
      elementRef(element),
    ]);
    return attached !== true;
  } catch (error) {
    if (/stale element|no such element|detached|context was destroyed/i.test(errorText(error))) return true;
    throw error;
  }
}

/**
 * Runs `do` on each page, then follows `next` until `until` holds, `next` is missing, hidden or
 * disabled, or `max` pages ran. Lists (forEach `as`, extract `all`/`table`) accumulate across
 * pages; other values keep the last page's.
 */
async function paginate(step: PaginateStep, at: Place, r: BlockRunner): Promise<void> {
  const { next, max = PAGES_DEFAULT, until } = step.paginate;
  const { session, stepTimeoutMs: timeout } = r.ctx;
  const scope = at.frame.scope;
  const accumulating = accumulatingNames(step.do);
  const gathered = new Set<string>();
  for (let page = 0; ; page++) {
    const pageData = r.newData();
    r.budget.pending.add(pageData);
    try {
      await r.runNested(step.do, at, 'do', { data: pageData, scope, iteration: page });
    } finally {
      r.budget.pending.delete(pageData);
    }
    mergePage(at.frame.data, pageData, accumulating, gathered);
    if (page + 1 >= max) return;
    if (until && (await r.race(timeout, () => conditionHolds(session, until, scope)))) return;
    const link = await r.race(timeout, () => usableNext(r, next, scope));
    if (link === undefined) return;
    const before = await r.race(timeout, () => session.getUrl());
    await r.race(timeout, (signal) => runStep({ click: next }, r.stepContext(at.frame, signal, timeout)));
    const changed = await r.race(timeout, (signal) =>
      pollUntil(
        async () => ((await gone(r, link)) || (await session.getUrl()) !== before ? true : undefined),
        {
          timeoutMs: timeout,
          signal,
        },
      ),
    );
    if (!changed) {
      throw new NonRetryableError(
        'STEP_FAILED',
        `the page did not change within ${timeout} ms after clicking next ${quoted(next)} on page ${page + 1}`,
      );
    }
  }
}

/**
 * Puts the browser back (parent frame, original window) after a block's steps. After a success a
 * failure to do so fails the block; after a failure it is tried (unless the run was stopped: the
 * caller wants the profile back now) and its own failure is ignored, the first one stands.
 */
async function restore(r: BlockRunner, succeeded: boolean, work: () => Promise<void>): Promise<void> {
  if (succeeded) {
    await r.race(r.ctx.stepTimeoutMs, work);
    return;
  }
  if (r.stopped) return;
  await r.race(r.ctx.stepTimeoutMs, work).catch(() => undefined);
}

/** Runs `do` inside the iframe the selector finds (waiting up to the step timeout), then back out. */
async function frame(step: FrameStep, at: Place, r: BlockRunner): Promise<void> {
  const { session, stepTimeoutMs: timeout } = r.ctx;
  const element = await r.race(timeout, (signal) =>
    pollUntil(() => firstElement(session, step.frame, at.frame.scope), { timeoutMs: timeout, signal }),
  );
  if (element === undefined) {
    throw new NonRetryableError(
      'SELECTOR_NOT_FOUND',
      `no element matched ${quoted(step.frame)} within ${timeout} ms`,
    );
  }
  await r.race(timeout, () => session.switchToFrame(elementRef(element)));
  let succeeded = false;
  try {
    // The frame is another document: the forEach element (if any) is not in it.
    await r.runNested(step.do, at, 'do', { ...at.frame, scope: undefined });
    succeeded = true;
  } finally {
    await restore(r, succeeded, () => session.switchToParentFrame());
  }
}

/**
 * Clicks `click`, waits for a new window, runs `do` in it, closes it (unless `close: false`) and
 * switches back to the window it came from.
 */
async function tab(step: TabStep, at: Place, r: BlockRunner): Promise<void> {
  const { session } = r.ctx;
  const { click, close = true } = step.tab;
  const timeout = step.tab.timeoutMs ?? r.ctx.stepTimeoutMs;
  const original = await r.race(timeout, () => session.getWindowHandle());
  const before = await r.race(timeout, () => session.getWindowHandles());
  await r.race(timeout, (signal) => runStep({ click }, r.stepContext(at.frame, signal, timeout)));
  const opened = await r.race(timeout, (signal) =>
    pollUntil(async () => (await session.getWindowHandles()).find((h) => !before.includes(h)), {
      timeoutMs: timeout,
      signal,
    }),
  );
  if (opened === undefined) {
    throw new NonRetryableError(
      'TAB_NOT_OPENED',
      `no new tab or window opened within ${timeout} ms after clicking ${quoted(click)}`,
    );
  }
  await r.race(timeout, () => session.switchToWindow(opened));
  let succeeded = false;
  try {
    await r.runNested(step.do, at, 'do', { ...at.frame, scope: undefined });
    succeeded = true;
  } finally {
    await restore(r, succeeded, async () => {
      if (close) {
        // The page may have closed itself already.
        await session.closeWindow().catch((error: unknown) => {
          if (!/no such window|target window already closed/i.test(errorText(error))) throw error;
        });
      }
      await session.switchToWindow(original);
    });
  }
}
