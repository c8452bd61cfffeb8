import type { Step } from '@fleet/contracts';
import { type ArtifactStore, NonRetryableError, RetryableError } from '@fleet/core';
import { httpTarget, type TargetGuard, urlForMessage } from '@fleet/targets';
import { errorText, truncate } from './driver-errors.js';
import { firstElement, landing, readElements } from './page-queries.js';
import type { Session } from './session.js';
import { pollUntil, sleep } from './waiting.js';

/** What one step needs; `data` and `artifacts` collect the run's outcome. */
export interface StepContext {
  session: Session;
  /** Fires when the run is aborted, its deadline passes or this step overruns. */
  signal: AbortSignal;
  /** This step's own timeout (see `stepTimeoutOf`). */
  timeoutMs: number;
  itemId: string;
  store: ArtifactStore;
  guard: TargetGuard | undefined;
  // Maps, not plain objects: an extract named "__proto__" passes the name rule.
  data: Map<string, unknown>;
  artifacts: Map<string, string>;
}

/** A step's own timeout: `waitFor` may name one, `sleep` lasts its length, the rest get the default. */
export function stepTimeoutOf(step: Step, defaultMs: number): number {
  if ('waitFor' in step) return step.waitFor.timeoutMs ?? defaultMs;
  if ('sleep' in step) return step.sleep;
  return defaultMs;
}

function quoted(selector: string): string {
  return `"${truncate(selector, 200)}"`;
}

function selectorNotFound(selector: string, timeoutMs: number): NonRetryableError {
  return new NonRetryableError(
    'SELECTOR_NOT_FOUND',
    `no element matched ${quoted(selector)} within ${timeoutMs} ms`,
  );
}

/** Refuses a page the navigation ended at, and leaves nothing of it in the browser. */
async function checkLanding(href: string, ctx: StepContext): Promise<void> {
  try {
    const url = new URL(href);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new NonRetryableError('TARGET_BLOCKED', `the navigation ended at a ${url.protocol} URL`);
    }
    await ctx.guard?.check(url);
  } catch (error) {
    // Neither later steps, nor the failure screenshot, nor the next item on a warm profile may
    // see a refused page.
    await ctx.session.navigateTo('about:blank').catch(() => undefined);
    throw error;
  }
}

async function goto(raw: string, ctx: StepContext): Promise<void> {
  const target = httpTarget(raw);
  await ctx.guard?.check(target);
  try {
    await ctx.session.navigateTo(target.href);
  } catch (error) {
    // chromedriver throws for some net errors (ERR_NAME_NOT_RESOLVED, ERR_TUNNEL_CONNECTION_FAILED
    // when a proxy refuses a CONNECT): the URL that failed may be a redirect's refused target.
    if (ctx.guard && /net::ERR_/.test(errorText(error))) {
      const failed = await ctx.session.getUrl().catch(() => '');
      if (/^https?:/.test(failed)) await checkLanding(failed, ctx);
    }
    throw error;
  }
  const landed = await landing(ctx.session);
  if (landed.netError !== null) {
    // The URL that failed may be a redirect's target: a refused target reads as blocked.
    await checkLanding(await ctx.session.getUrl(), ctx);
    throw new RetryableError(
      'NAVIGATION_FAILED',
      `${urlForMessage(target)} could not be loaded: net::${landed.netError}`,
    );
  }
  await checkLanding(landed.href, ctx);
}

// The element is there but cannot take the action yet (covered, hidden, re-rendered): look again.
const NOT_READY = /element click intercepted|element not interactable|stale element reference|not clickable/i;

/**
 * Finds the first match and applies `act` to it until it succeeds or the step's timeout passes.
 * Never found → SELECTOR_NOT_FOUND; found but never ready → STEP_FAILED with the last reason.
 */
async function onElement(
  selector: string,
  verb: string,
  ctx: StepContext,
  act: (element: string) => Promise<void>,
): Promise<void> {
  let seen = false;
  let reason = '';
  const done = await pollUntil(
    async () => {
      const element = await firstElement(ctx.session, selector);
      if (element === undefined) return undefined;
      seen = true;
      try {
        await act(element);
        return true;
      } catch (error) {
        if (!NOT_READY.test(`${error instanceof Error ? error.name : ''} ${errorText(error)}`)) throw error;
        reason = errorText(error);
        return undefined;
      }
    },
    { timeoutMs: ctx.timeoutMs, signal: ctx.signal },
  );
  if (done) return;
  if (!seen) throw selectorNotFound(selector, ctx.timeoutMs);
  throw new NonRetryableError(
    'STEP_FAILED',
    `${quoted(selector)} was found but could not be ${verb} within ${ctx.timeoutMs} ms: ${reason}`,
  );
}

async function waitFor(selector: string, ctx: StepContext): Promise<void> {
  const found = await pollUntil(() => firstElement(ctx.session, selector), {
    timeoutMs: ctx.timeoutMs,
    signal: ctx.signal,
  });
  if (found === undefined) throw selectorNotFound(selector, ctx.timeoutMs);
}

async function extract(
  spec: { name: string; selector: string; attr?: string; all?: boolean },
  ctx: StepContext,
) {
  const all = spec.all ?? false;
  const values = await readElements(ctx.session, spec.selector, { attr: spec.attr, all });
  // `all`: a list of strings (elements without the attribute are left out); else the first or null.
  ctx.data.set(spec.name, all ? values.filter((v): v is string => v !== null) : (values[0] ?? null));
}

async function screenshot(name: string, ctx: StepContext): Promise<void> {
  const png = Buffer.from(await ctx.session.takeScreenshot(), 'base64');
  ctx.artifacts.set(name, await ctx.store.put(png, { itemId: ctx.itemId, name, type: 'image/png' }));
}

/** Waits (up to the step timeout) for the first match's text to contain `contains`. */
async function assertText(spec: { selector: string; contains: string }, ctx: StepContext): Promise<void> {
  const last = { text: null as string | null };
  const ok = await pollUntil(
    async () => {
      const [text] = await readElements(ctx.session, spec.selector, { all: false });
      if (text === undefined || text === null) return undefined;
      last.text = text;
      return text.includes(spec.contains) ? true : undefined;
    },
    { timeoutMs: ctx.timeoutMs, signal: ctx.signal },
  );
  if (ok) return;
  if (last.text === null) throw selectorNotFound(spec.selector, ctx.timeoutMs);
  throw new NonRetryableError(
    'ASSERTION_FAILED',
    `expected the text of ${quoted(spec.selector)} to contain "${truncate(spec.contains, 200)}", ` +
      `but it was "${truncate(last.text, 200)}"`,
  );
}

/** Runs one step. Steps arrive with `{{var}}` already filled in (the contracts package does it). */
export async function runStep(step: Step, ctx: StepContext): Promise<void> {
  if ('goto' in step) return goto(step.goto, ctx);
  if ('click' in step) {
    return onElement(step.click, 'clicked', ctx, (el) => ctx.session.elementClick(el));
  }
  if ('type' in step) {
    const { selector, text } = step.type;
    // setValue's semantics (clear, then send keys), without its implicit wait.
    return onElement(selector, 'typed into', ctx, async (el) => {
      await ctx.session.elementClear(el);
      await ctx.session.elementSendKeys(el, text);
    });
  }
  if ('waitFor' in step) return waitFor(step.waitFor.selector, ctx);
  if ('extract' in step) return extract(step.extract, ctx);
  if ('screenshot' in step) return screenshot(step.screenshot.name, ctx);
  if ('assertText' in step) return assertText(step.assertText, ctx);
  return sleep(step.sleep, ctx.signal);
}
