import { type ItemJob, type LeafStep, type Step, stepKind } from '@fleet/contracts';
import { type ArtifactStore, NonRetryableError, RetryableError } from '@fleet/core';
import { httpTarget, type TargetGuard, urlForMessage } from '@fleet/targets';
import { clearStorage, getCookies, setCookies } from './actions/cookie-actions.js';
import { onElement, quoted, selectorNotFound, waitForElement } from './actions/elements.js';
import { extract } from './actions/extract-action.js';
import { select, setChecked, type } from './actions/form-actions.js';
import { evaluate, waitForText, waitForUrl } from './actions/page-actions.js';
import { hover, press, scroll } from './actions/pointer-actions.js';
import { upload } from './actions/upload-action.js';
import { errorText, truncate } from './driver-errors.js';
import { type Landing, landing, readElements } from './page-queries.js';
import type { Session } from './session.js';
import { pollUntil, sleep } from './waiting.js';

/** The batch's files for `upload` steps, as the job carries them (artifact ids, never bytes). */
export type BatchFiles = NonNullable<ItemJob['files']>;

/** What one step needs; `data` and `artifacts` collect the run's outcome. */
export interface StepContext {
  session: Session;
  /** Fires when the run is aborted, its deadline passes or this step overruns. */
  signal: AbortSignal;
  /** This step's own timeout (see `stepTimeoutOf`). */
  timeoutMs: number;
  /** The session's script timeout (the run's default step timeout): in-page waits stay under it. */
  scriptTimeoutMs?: number;
  itemId: string;
  store: ArtifactStore;
  guard: TargetGuard | undefined;
  /**
   * Inside `forEach`: the current element's id. Every selector is then searched within it
   * (`firstElement(ctx.session, selector, ctx.scope)`, `readElements(…, {scope: ctx.scope})`).
   */
  scope?: string;
  /** The batch's files (`upload` reads them from `store`). */
  files?: BatchFiles;
  /** Told the HTTP status of each page a goto lands on (RunStepsOptions.onPageStatus). */
  onPageStatus?: (status: number) => void;
  // Maps, not plain objects: an extract named "__proto__" passes the name rule.
  data: Map<string, unknown>;
  artifacts: Map<string, string>;
}

/**
 * A step's own timeout: the `timeoutMs` of a waiting step (waitFor, waitForUrl, waitForText,
 * assertText, select, type, evaluate, tab), `if`'s `waitMs` (its wait; the default when 0 or
 * absent), `sleep`'s length; else the batch's default.
 */
export function stepTimeoutOf(step: Step, defaultMs: number): number {
  if ('sleep' in step) return step.sleep;
  if ('if' in step) return step.if.waitMs ? step.if.waitMs : defaultMs;
  // The kind's own object, whatever the key order (`{"do": […], "tab": {…}}` is a tab step).
  const body = (step as Record<string, unknown>)[stepKind(step)];
  if (body !== null && typeof body === 'object' && 'timeoutMs' in body) {
    const timeoutMs = (body as { timeoutMs?: unknown }).timeoutMs;
    if (typeof timeoutMs === 'number') return timeoutMs;
  }
  return defaultMs;
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

/**
 * The first half of `goto`: the target passes the guard and the browser navigates to it (a
 * navigation chromedriver refuses with net::ERR_ is judged by the URL that failed). The landing
 * (`landing` or `readPage`) then goes to `afterLanding`.
 */
export async function navigate(raw: string, ctx: StepContext): Promise<URL> {
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
  return target;
}

/** The second half of `goto`: Chromium's error page fails the step, and the landing URL is judged. */
export async function afterLanding(landed: Landing, target: URL, ctx: StepContext): Promise<void> {
  if (landed.netError !== null) {
    // The URL that failed may be a redirect's target: a refused target reads as blocked.
    await checkLanding(await ctx.session.getUrl(), ctx);
    throw new RetryableError(
      'NAVIGATION_FAILED',
      `${urlForMessage(target)} could not be loaded: net::${landed.netError}`,
    );
  }
  if (typeof landed.status === 'number') ctx.onPageStatus?.(landed.status);
  await checkLanding(landed.href, ctx);
}

async function goto(raw: string, ctx: StepContext): Promise<void> {
  const target = await navigate(raw, ctx);
  await afterLanding(await landing(ctx.session), target, ctx);
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
      const [text] = await readElements(ctx.session, spec.selector, { all: false, scope: ctx.scope });
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

/** Runs one leaf step. Steps arrive with `{{var}}` already filled in (the contracts package does it). */
export async function runStep(step: LeafStep | Step, ctx: StepContext): Promise<void> {
  if ('goto' in step) return goto(step.goto, ctx);
  if ('click' in step) {
    await onElement(step.click, 'clicked', ctx, (el) => ctx.session.elementClick(el));
    return;
  }
  if ('type' in step) {
    await type(step.type, ctx);
    return;
  }
  if ('waitFor' in step) {
    await waitForElement(step.waitFor.selector, ctx);
    return;
  }
  if ('extract' in step) return extract(step.extract, ctx);
  if ('screenshot' in step) return screenshot(step.screenshot.name, ctx);
  if ('assertText' in step) return assertText(step.assertText, ctx);
  if ('sleep' in step) return sleep(step.sleep, ctx.signal);
  if ('select' in step) return select(step.select, ctx);
  if ('hover' in step) {
    await hover(step.hover, ctx);
    return;
  }
  if ('press' in step) return press(step.press, ctx);
  if ('scroll' in step) return scroll(step.scroll, ctx);
  if ('check' in step) return setChecked(step.check, true, ctx);
  if ('uncheck' in step) return setChecked(step.uncheck, false, ctx);
  if ('waitForUrl' in step) return waitForUrl(step.waitForUrl, ctx);
  if ('waitForText' in step) return waitForText(step.waitForText, ctx);
  if ('setCookies' in step) return setCookies(step.setCookies, ctx);
  if ('getCookies' in step) return getCookies(step.getCookies, ctx);
  if ('clearStorage' in step) return clearStorage(step.clearStorage, ctx);
  if ('evaluate' in step) return evaluate(step.evaluate, ctx);
  if ('upload' in step) return upload(step.upload, ctx);
  // Blocks (if, forEach, paginate, frame, tab) are the step runner's: they never reach here.
  throw new NonRetryableError('STEP_FAILED', `"${stepKind(step)}" is not a leaf step`);
}
