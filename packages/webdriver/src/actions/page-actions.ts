import { MAX_EVALUATE_RESULT_BYTES } from '@fleet/contracts';
import { isFleetError, NonRetryableError } from '@fleet/core';
import { urlForMessage } from '@fleet/targets';
import { errorText, truncate } from '../driver-errors.js';
import { readElements } from '../page-queries.js';
import type { StepContext } from '../step-actions.js';
import { pollUntil } from '../waiting.js';
import { quoted, type StepSpec, selectorNotFound } from './elements.js';

// waitForUrl, waitForText and evaluate: questions asked of the page, answered by the page.

// The pattern is compiled in the page, never on the worker (a hostile pattern costs the browser,
// not the worker's event loop).
const URL_SCRIPT = `
var href = String(location.href), contains = arguments[0], pattern = arguments[1];
return { href: href, ok: contains !== null ? href.indexOf(contains) !== -1 : new RegExp(pattern).test(href) };`;

/** `waitForUrl`: until the page's URL contains a string or matches a pattern (tested in the page). */
export async function waitForUrl(spec: StepSpec<'waitForUrl'>, ctx: StepContext): Promise<void> {
  let href = '';
  const ok = await pollUntil(
    async () => {
      const answer = (await ctx.session.executeScript(URL_SCRIPT, [
        spec.contains ?? null,
        spec.matches ?? null,
      ])) as { href: string; ok: boolean };
      href = answer.href;
      return answer.ok ? true : undefined;
    },
    { timeoutMs: ctx.timeoutMs, signal: ctx.signal },
  );
  if (ok) return;
  const wanted =
    spec.contains !== undefined
      ? `contain "${truncate(spec.contains, 200)}"`
      : `match /${truncate(spec.matches ?? '', 200)}/`;
  throw new NonRetryableError(
    'STEP_FAILED',
    `the URL did not ${wanted} within ${ctx.timeoutMs} ms; it is ${urlForMessage(href)}`,
  );
}

/** `waitForText`: until the first match's text (default `body`) contains the text. */
export async function waitForText(spec: StepSpec<'waitForText'>, ctx: StepContext): Promise<void> {
  const selector = spec.selector ?? 'body';
  let seen = false;
  const ok = await pollUntil(
    async () => {
      const [text] = await readElements(ctx.session, selector, { all: false, scope: ctx.scope });
      if (text === undefined || text === null) return undefined;
      seen = true;
      return text.includes(spec.text) ? true : undefined;
    },
    { timeoutMs: ctx.timeoutMs, signal: ctx.signal },
  );
  if (ok) return;
  if (!seen) throw selectorNotFound(selector, ctx.timeoutMs);
  throw new NonRetryableError(
    'STEP_FAILED',
    `the text "${truncate(spec.text, 200)}" did not appear in ${quoted(selector)} within ${ctx.timeoutMs} ms`,
  );
}

// `return (<expression>)` inside a function of its own, awaited, then sized in the page: a result
// too large never crosses the wire, and the worker only ever parses JSON.
function evaluateScript(expression: string): string {
  return `
var limit = arguments[0];
return Promise.resolve((function () { return (${expression}
); })()).then(function (value) {
  var json = JSON.stringify(value);
  if (json === undefined) return { json: 'null', bytes: 4 };
  var bytes = new TextEncoder().encode(json).length;
  return bytes > limit ? { tooLarge: bytes } : { json: json, bytes: bytes };
});`;
}

const PAGE_ERROR = /^javascript error:\s*/i;

/**
 * `evaluate`: the expression runs in the page (a Promise is awaited); its JSON result goes to
 * data[name]. A page exception → EVALUATE_FAILED with the page's message; a result over 64 KiB →
 * RESULT_TOO_LARGE. `timeoutMs` also raises the session's script timeout for this step.
 */
export async function evaluate(spec: StepSpec<'evaluate'>, ctx: StepContext): Promise<void> {
  const script = evaluateScript(spec.expression);
  let answer: { json: string } | { tooLarge: number };
  const restore = spec.timeoutMs === undefined ? undefined : await ctx.session.getTimeouts();
  try {
    if (spec.timeoutMs !== undefined) await ctx.session.setTimeouts(undefined, undefined, spec.timeoutMs);
    answer = (await ctx.session.executeScript(script, [MAX_EVALUATE_RESULT_BYTES])) as typeof answer;
  } catch (error) {
    if (isFleetError(error)) throw error;
    const text = errorText(error);
    if (PAGE_ERROR.test(text)) {
      throw new NonRetryableError(
        'EVALUATE_FAILED',
        `the expression failed in the page: ${truncate(text.replace(PAGE_ERROR, ''), 300)}`,
        { cause: error },
      );
    }
    if (/script timeout/i.test(text)) {
      throw new NonRetryableError('STEP_FAILED', `the expression did not settle within ${ctx.timeoutMs} ms`);
    }
    throw error;
  } finally {
    if (restore?.script !== undefined) {
      await ctx.session.setTimeouts(undefined, undefined, restore.script).catch(() => undefined);
    }
  }
  if ('tooLarge' in answer) {
    throw new NonRetryableError(
      'RESULT_TOO_LARGE',
      `the expression's result is ${answer.tooLarge} bytes of JSON: at most ${MAX_EVALUATE_RESULT_BYTES}`,
    );
  }
  ctx.data.set(spec.name, JSON.parse(answer.json));
}
