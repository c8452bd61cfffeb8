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
  /** The page's HTTP status (navigation timing's `responseStatus`); null when the browser cannot tell. */
  status?: number | null;
}

/** The top-level page's HTTP status, in page scripts (Chromium ≥ 109; 0 or absent: unknown). */
const STATUS_JS = `var nav = performance.getEntriesByType ? performance.getEntriesByType('navigation')[0] : null;
var status = nav && nav.responseStatus ? nav.responseStatus : null;`;

// chromedriver answers a navigation that ended on Chromium's error page with success for many
// net errors (ERR_CONNECTION_REFUSED, ERR_UNSAFE_PORT…; ERR_NAME_NOT_RESOLVED does throw), so
// the driver looks: the error page's location is chrome-error://, its code in `.error-code`.
const LANDING_SCRIPT = `
var href = String(location.href);
${STATUS_JS}
if (href.indexOf('chrome-error:') !== 0) return { href: href, netError: null, status: status };
var el = document.querySelector('.error-code');
return { href: href, netError: (el && el.textContent.trim()) || 'ERR_FAILED' };`;

export async function landing(session: Session): Promise<Landing> {
  return (await session.executeScript(LANDING_SCRIPT, [])) as Landing;
}

/** What one element read of `readPage` asks (top-level document, no scope). */
export interface ReadSpec {
  selector: string;
  attr: string | null;
  all: boolean;
}

/** A read's values, or what the page's script threw for it (an invalid selector…). */
export type ReadAnswer = { ok: Array<string | null> } | { error: string };

/** The landing, the page's URL and title, and each read's answer, from one script. */
export interface PageReads extends Landing {
  title: string;
  /** Empty on Chromium's error page (netError set): nothing is read there. */
  reads: ReadAnswer[];
}

// LANDING_SCRIPT, then READ_SCRIPT for each read (top-level document), then the title: what
// `landing`, `readElements` and `pageInfo` each cost a round trip for (~7-10 ms each here).
const PAGE_READS_SCRIPT = `
var reads = arguments[0];
var href = String(location.href);
${STATUS_JS}
if (href.indexOf('chrome-error:') === 0) {
  var el = document.querySelector('.error-code');
  return { href: href, netError: (el && el.textContent.trim()) || 'ERR_FAILED', title: String(document.title), reads: [] };
}
var answers = reads.map(function (r) {
  try {
    var nodes = r.all ? Array.prototype.slice.call(document.querySelectorAll(r.selector))
      : [document.querySelector(r.selector)].filter(Boolean);
    return { ok: nodes.map(function (el) {
      if (r.attr) return el.getAttribute(r.attr);
      var text = typeof el.innerText === 'string' ? el.innerText : el.textContent;
      return (text || '').trim();
    }) };
  } catch (e) {
    return { error: String((e && e.message) || e) };
  }
});
return { href: href, netError: null, status: status, title: String(document.title), reads: answers };`;

/**
 * In one round trip: where the top-level page is (as `landing`), its title, and the text or
 * attribute of elements for each read (as `readElements` without a scope). Must run in the
 * top-level browsing context.
 */
export async function readPage(session: Session, reads: ReadSpec[]): Promise<PageReads> {
  return (await session.executeScript(PAGE_READS_SCRIPT, [reads])) as PageReads;
}

/**
 * URL and title of the page, as WebDriver reports them (on an error page: the URL that failed):
 * one script in the top-level context, and WebDriver's own URL only on Chromium's error page (whose
 * location is chrome-error://, not the URL that failed).
 */
export async function pageInfo(session: Session): Promise<{ url: string; title: string }> {
  const page = await readPage(session, []);
  if (page.netError === null) return { url: page.href, title: page.title };
  return { url: await session.getUrl(), title: page.title };
}

/**
 * URL and title of the top-level page over WebDriver's own commands: right from any browsing
 * context (a code scenario may end inside a frame), two round trips.
 */
export async function topLevelPageInfo(session: Session): Promise<{ url: string; title: string }> {
  const url = await session.getUrl();
  const title = await session.getTitle();
  return { url, title };
}

// Resolves with the first match as soon as the page has one (a MutationObserver sees the DOM
// change), or null after `ms`: one round trip per wait instead of a findElements every 100 ms.
// A selector the page refuses answers `error` (the caller then asks WebDriver, for its own error).
const WAIT_SCRIPT = `
var selector = arguments[0], root = arguments[1] || document, ms = arguments[2];
var done = arguments[arguments.length - 1];
var first = function () { return root.querySelector(selector); };
var found;
try { found = first(); } catch (e) { done({ error: String((e && e.message) || e) }); return; }
if (found) { done({ element: found }); return; }
var over = false, timer, observer;
var finish = function (value) {
  if (over) return;
  over = true;
  clearTimeout(timer);
  observer.disconnect();
  done(value);
};
observer = new MutationObserver(function () { var el = first(); if (el) finish({ element: el }); });
observer.observe(root === document ? document.documentElement || document : root,
  { childList: true, subtree: true, attributes: true });
timer = setTimeout(function () { finish({ element: first() }); }, ms);`;

/** The longest one in-page wait lasts: a stopped run waits at most this long for its session. */
export const IN_PAGE_WAIT_CHUNK_MS = 1_000;

/**
 * Waits in the page (up to `ms`) for the first element matching `selector` within `scope`:
 * its id, null when none came, or undefined when the page could not wait (an invalid selector,
 * the document unloaded meanwhile): the caller then looks over WebDriver.
 */
export async function waitInPage(
  session: Session,
  selector: string,
  ms: number,
  scope?: string,
): Promise<string | null | undefined> {
  try {
    const answer = (await session.executeAsyncScript(WAIT_SCRIPT, [
      selector,
      scope === undefined ? null : elementRef(scope),
      ms,
    ])) as { element?: Record<string, string> | null; error?: string };
    if (answer.error !== undefined) return undefined;
    return answer.element ? (answer.element[ELEMENT_KEY] ?? undefined) : null;
  } catch {
    return undefined;
  }
}
