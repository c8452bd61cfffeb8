import { NonRetryableError } from '@fleet/core';
import { truncate } from '../driver-errors.js';
import { firstElement } from '../page-queries.js';
import type { StepContext } from '../step-actions.js';
import { pollUntil, sleep } from '../waiting.js';
import { onElement, quoted, type StepSpec, selectorNotFound } from './elements.js';

// ---- select ------------------------------------------------------------------------------------

// Playwright's way: mark the option selected and fire input and change, as a user's pick does.
// One round trip; works for a select styled out of sight too. Answers what it saw when no option
// fits, so the failure can list the options.
const SELECT_SCRIPT = `
var select = arguments[0], by = arguments[1], wanted = arguments[2];
if (!select || select.tagName !== 'SELECT') return { outcome: 'not-select', tag: select ? select.tagName : null };
var options = Array.prototype.slice.call(select.options);
var seen = options.slice(0, 30).map(function (o) { return { value: o.value, label: (o.label || o.text || '').trim() }; });
var option = by === 'index' ? options[wanted]
  : options.filter(function (o) {
      return by === 'value' ? o.value === wanted : (o.label || '').trim() === wanted || (o.text || '').trim() === wanted;
    })[0];
if (!option) return { outcome: 'no-option', seen: seen, count: options.length };
if (select.disabled || option.disabled) return { outcome: 'disabled' };
if (!select.multiple) options.forEach(function (o) { o.selected = false; });
option.selected = true;
select.dispatchEvent(new Event('input', { bubbles: true }));
select.dispatchEvent(new Event('change', { bubbles: true }));
return { outcome: 'selected' };`;

type SelectAnswer =
  | { outcome: 'selected' | 'disabled' }
  | { outcome: 'not-select'; tag: string | null }
  | { outcome: 'no-option'; seen: Array<{ value: string; label: string }>; count: number };

/** `select`: the option by value, label or index; waits (step timeout) for the select and the option. */
export async function select(spec: StepSpec<'select'>, ctx: StepContext): Promise<void> {
  const [by, wanted] =
    spec.value !== undefined
      ? (['value', spec.value] as const)
      : spec.label !== undefined
        ? (['label', spec.label] as const)
        : (['index', spec.index ?? 0] as const);
  let last: SelectAnswer | undefined;
  const answer = await pollUntil(
    async () => {
      const element = await firstElement(ctx.session, spec.selector, ctx.scope);
      if (element === undefined) return undefined;
      last = (await ctx.session.executeScript(SELECT_SCRIPT, [
        { 'element-6066-11e4-a52e-4f735466cecf': element },
        by,
        wanted,
      ])) as SelectAnswer;
      // Options may still be coming (filled by a script): wait for the one wanted.
      return last.outcome === 'no-option' ? undefined : last;
    },
    { timeoutMs: ctx.timeoutMs, signal: ctx.signal },
  );
  if (answer?.outcome === 'selected') return;
  if (answer?.outcome === 'not-select') {
    throw new NonRetryableError(
      'STEP_FAILED',
      `${quoted(spec.selector)} is a <${String(answer.tag).toLowerCase()}>, not a <select>`,
    );
  }
  if (answer?.outcome === 'disabled') {
    throw new NonRetryableError(
      'STEP_FAILED',
      `${quoted(spec.selector)}: the select or the option is disabled`,
    );
  }
  if (last?.outcome !== 'no-option') throw selectorNotFound(spec.selector, ctx.timeoutMs);
  const seen = last.seen.map((o) => `${JSON.stringify(truncate(o.value, 40))} (${truncate(o.label, 40)})`);
  const more = last.count > last.seen.length ? `, … ${last.count - last.seen.length} more` : '';
  throw new NonRetryableError(
    'OPTION_NOT_FOUND',
    `${quoted(spec.selector)} has no option with ${by} ${JSON.stringify(typeof wanted === 'string' ? truncate(wanted, 100) : wanted)} ` +
      `within ${ctx.timeoutMs} ms; options seen: ${seen.length > 0 ? seen.join(', ') : 'none'}${more}`,
  );
}

// ---- check / uncheck -----------------------------------------------------------------------------

/** `check`/`uncheck`: clicks only when the state differs, then checks that the state took. */
export async function setChecked(selector: string, want: boolean, ctx: StepContext): Promise<void> {
  const verb = want ? 'checked' : 'unchecked';
  const element = await onElement(selector, verb, ctx, async (el) => {
    if ((await ctx.session.isElementSelected(el)) !== want) await ctx.session.elementClick(el);
  });
  if ((await ctx.session.isElementSelected(element)) === want) return;
  throw new NonRetryableError(
    'STEP_FAILED',
    `${quoted(selector)} is still ${want ? 'unchecked' : 'checked'} after a click ` +
      `(a checkbox or radio? a radio cannot be unchecked by a click)`,
  );
}

// ---- type ------------------------------------------------------------------------------------------

/** ±30% around `delayMs`: a human cadence, never a metronome. */
export function jittered(delayMs: number, random: () => number = Math.random): number {
  return Math.round(delayMs * (0.7 + 0.6 * random()));
}

/**
 * `type`: clears first (unless `clear: false`), then sends the text at once, or key by key with
 * `delayMs` (±30%) between keys; the step timeout bounds the whole.
 */
export function type(spec: StepSpec<'type'>, ctx: StepContext): Promise<unknown> {
  const delayMs = spec.delayMs ?? 0;
  return onElement(spec.selector, 'typed into', ctx, async (el) => {
    if (spec.clear !== false) await ctx.session.elementClear(el);
    if (delayMs === 0) {
      await ctx.session.elementSendKeys(el, spec.text);
      return;
    }
    // By code point: an emoji is one key, not two halves of a surrogate pair.
    const keys = [...spec.text];
    for (const [i, key] of keys.entries()) {
      await ctx.session.elementSendKeys(el, key);
      if (i < keys.length - 1) await sleep(jittered(delayMs), ctx.signal);
    }
  });
}
