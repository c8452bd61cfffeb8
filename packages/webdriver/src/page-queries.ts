import type { Session } from './session.js';

// The W3C web element identifier key in WebDriver answers.
export const ELEMENT_KEY = 'element-6066-11e4-a52e-4f735466cecf';

/** The selector that means the scope element itself (inside `forEach`). */
export const SCOPE_SELECTOR = ':scope';

/** A WebDriver element reference, as script arguments take it. */
export function elementRef(id: string): Record<string, string> {
  return { [ELEMENT_KEY]: id };
}

/**
 * Elements matching a CSS selector, in document order (no implicit wait). With `scope` (an
 * element id: the current `forEach` element) only inside it; `:scope` is that element itself.
 */
export async function findAll(session: Session, selector: string, scope?: string): Promise<string[]> {
  if (scope !== undefined && selector === SCOPE_SELECTOR) return [scope];
  const found = (
    scope === undefined
      ? await session.findElements('css selector', selector)
      : await session.findElementsFromElement(scope, 'css selector', selector)
  ) as Array<Record<string, string>>;
  return found.map((element) => element[ELEMENT_KEY]!).filter((id) => id !== undefined);
}

/** The first element matching a CSS selector (within `scope`), or undefined when none does. */
export async function firstElement(
  session: Session,
  selector: string,
  scope?: string,
): Promise<string | undefined> {
  return (await findAll(session, selector, scope))[0];
}

// One round trip for any number of elements (a findElements + getElementText per element costs
// ~20 ms each here). Text is innerText, trimmed: what the page shows, like WebDriver's element text.
// An attribute is read as written in the page (`getAttribute`): an `href` stays relative.
const READ_SCRIPT = `
var selector = arguments[0], attr = arguments[1], all = arguments[2], root = arguments[3] || document;
var nodes = selector === ':scope' && arguments[3] ? [root]
  : all ? Array.prototype.slice.call(root.querySelectorAll(selector))
  : [root.querySelector(selector)].filter(Boolean);
return nodes.map(function (el) {
  if (attr) return el.getAttribute(attr);
  var text = typeof el.innerText === 'string' ? el.innerText : el.textContent;
  return (text || '').trim();
});`;

/**
 * The text (or the attribute `attr`) of the first element matching `selector`, or of all of them
 * (within `options.scope`, an element id, when given).
 * Entries are null where an element lacks the attribute.
 */
export async function readElements(
  session: Session,
  selector: string,
  options: { attr?: string | undefined; all: boolean; scope?: string | undefined },
): Promise<Array<string | null>> {
  const root = options.scope === undefined ? null : elementRef(options.scope);
  return (await session.executeScript(READ_SCRIPT, [
    selector,
    options.attr ?? null,
    options.all,
    root,
  ])) as Array<string | null>;
}

/** Where the top-level page is, and the net error code when it is Chromium's error page. */
export interface Landing {
  href: string;
  /** e.g. `ERR_CONNECTION_REFUSED`; null on a real page. */
  netError: string | null;
}

// chromedriver answers a navigation that ended on Chromium's error page with success for many
// net errors (ERR_CONNECTION_REFUSED, ERR_UNSAFE_PORT…; ERR_NAME_NOT_RESOLVED does throw), so
// the driver looks: the error page's location is chrome-error://, its code in `.error-code`.
const LANDING_SCRIPT = `
var href = String(location.href);
if (href.indexOf('chrome-error:') !== 0) return { href: href, netError: null };
var el = document.querySelector('.error-code');
return { href: href, netError: (el && el.textContent.trim()) || 'ERR_FAILED' };`;

export async function landing(session: Session): Promise<Landing> {
  return (await session.executeScript(LANDING_SCRIPT, [])) as Landing;
}

/** URL and title of the page, as WebDriver reports them (on an error page: the URL that failed). */
export async function pageInfo(session: Session): Promise<{ url: string; title: string }> {
  const url = await session.getUrl();
  const title = await session.getTitle();
  return { url, title };
}
