import type { Condition } from '@fleet/contracts';
import { elementRef } from './page-queries.js';
import type { Session } from './session.js';
import { pollUntil } from './waiting.js';

/**
 * Conditions of `if` and `paginate.until`, tested in the page in one script per look (regular
 * expressions included: they never run on the worker). Inside `forEach` selectors are searched
 * within the current element; `textContains` then defaults to the element itself (`:scope`),
 * else to `body`. `visible`: the element has a box and is not hidden by CSS (`checkVisibility`).
 */
const CONDITION_SCRIPT = `
var c = arguments[0], scope = arguments[1], root = scope || document;
function find(sel) { return sel === ':scope' && scope ? scope : root.querySelector(sel); }
function shown(el) {
  if (typeof el.checkVisibility === 'function') {
    return el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
  }
  var style = getComputedStyle(el);
  return el.getClientRects().length > 0 && style.visibility !== 'hidden' && style.opacity !== '0';
}
var held;
if (c.exists !== undefined) held = !!find(c.exists);
else if (c.visible !== undefined) { var v = find(c.visible); held = !!v && shown(v); }
else if (c.textContains !== undefined) {
  var t = find(c.textContains.selector || (scope ? ':scope' : 'body'));
  var text = t ? (typeof t.innerText === 'string' ? t.innerText : t.textContent) || '' : null;
  held = text !== null && text.indexOf(c.textContains.text) !== -1;
}
else if (c.urlMatches !== undefined) held = new RegExp(c.urlMatches).test(String(location.href));
else if (c.urlContains !== undefined) held = String(location.href).indexOf(c.urlContains) !== -1;
else throw new Error('unknown condition');
return c.not ? !held : held;`;

/** Whether the condition holds now (one look). */
export async function conditionHolds(
  session: Session,
  condition: Condition,
  scope?: string,
): Promise<boolean> {
  const { exists, visible, textContains, urlMatches, urlContains, not } = condition;
  const spec = { exists, visible, textContains, urlMatches, urlContains, not };
  const root = scope === undefined ? null : elementRef(scope);
  return (await session.executeScript(CONDITION_SCRIPT, [spec, root])) === true;
}

/**
 * Whether the condition holds, looking until it does or `waitMs` passes (0: one look). Rejects
 * with the signal's reason when it fires.
 */
export async function waitForCondition(
  session: Session,
  condition: Condition,
  options: { waitMs: number; signal: AbortSignal; scope?: string | undefined },
): Promise<boolean> {
  const held = await pollUntil(
    async () => ((await conditionHolds(session, condition, options.scope)) ? true : undefined),
    { timeoutMs: options.waitMs, signal: options.signal },
  );
  return held === true;
}

/** The condition as short text for messages: `exists "#banner"`, `not urlContains "/done"`. */
export function describeCondition(condition: Condition): string {
  const [kind, value] =
    Object.entries(condition).find(([key, v]) => key !== 'not' && key !== 'waitMs' && v !== undefined) ?? [];
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  return `${condition.not ? 'not ' : ''}${kind} ${JSON.stringify(shown?.slice(0, 100))}`;
}
