import { type Cookie, cookieListSchema } from '@fleet/contracts';
import { NonRetryableError } from '@fleet/core';
import { errorText, truncate } from '../driver-errors.js';
import type { StepContext } from '../step-actions.js';
import { type StepSpec, stepInputInvalid } from './elements.js';

// setCookies, getCookies, clearStorage: the current page's site, through WebDriver's cookie
// commands (which see HttpOnly cookies too) and a page script for web storage.

/**
 * The cookies of a `json` string (an item variable), checked as the batch's own list would be.
 * Messages name fields and problems, never values: cookies are credentials.
 */
export function parseCookieJson(json: string): Cookie[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw stepInputInvalid('setCookies.json is not valid JSON: give a JSON array of cookies');
  }
  const parsed = cookieListSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(the list)'}: ${issue.message}`);
  throw stepInputInvalid(`setCookies.json is not a list of 1-50 cookies: ${problems.join('; ')}`);
}

/** `setCookies`: each cookie for the current page's site (navigate there first). */
export async function setCookies(spec: StepSpec<'setCookies'>, ctx: StepContext): Promise<void> {
  const cookies = spec.cookies ?? parseCookieJson(spec.json ?? '');
  for (const cookie of cookies) {
    try {
      await ctx.session.addCookie(cookie);
    } catch (error) {
      const text = errorText(error);
      if (/invalid cookie domain|unable to set cookie/i.test(text)) {
        throw new NonRetryableError(
          'STEP_FAILED',
          `cookie "${truncate(cookie.name, 100)}" could not be set on this page (${text}): goto its site first, give a domain of that site or none (and secure: true with sameSite None)`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}

/** `getCookies`: the current site's cookies (or only those named) → data[name], in the setCookies shape. */
export async function getCookies(spec: StepSpec<'getCookies'>, ctx: StepContext): Promise<void> {
  const wanted = spec.names === undefined ? null : new Set(spec.names);
  const all = (await ctx.session.getAllCookies()) as unknown as Array<Record<string, unknown>>;
  const cookies = all
    .filter((c) => wanted === null || wanted.has(String(c.name)))
    .map((c) => {
      const cookie: Record<string, unknown> = {
        name: String(c.name),
        value: String(c.value ?? ''),
        domain: String(c.domain ?? ''),
        path: String(c.path ?? '/'),
        secure: c.secure === true,
        httpOnly: c.httpOnly === true,
      };
      if (typeof c.expiry === 'number') cookie.expiry = Math.floor(c.expiry);
      if (c.sameSite === 'Lax' || c.sameSite === 'Strict' || c.sameSite === 'None')
        cookie.sameSite = c.sameSite;
      return cookie;
    })
    .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  ctx.data.set(spec.name, cookies);
}

// A page without a site (about:blank, a data: URL) has no storage to clear: not an error.
const CLEAR_STORAGE = `
var out = {};
var which = { localStorage: arguments[0], sessionStorage: arguments[1] };
Object.keys(which).forEach(function (name) {
  if (!which[name]) return;
  try { window[name].clear(); out[name] = true; } catch (e) { out[name] = false; }
});
return out;`;

/** `clearStorage`: cookies, localStorage and sessionStorage of the current site (each unless false). */
export async function clearStorage(spec: StepSpec<'clearStorage'>, ctx: StepContext): Promise<void> {
  if (spec.cookies !== false) await ctx.session.deleteAllCookies();
  const local = spec.localStorage !== false;
  const session = spec.sessionStorage !== false;
  if (local || session) await ctx.session.executeScript(CLEAR_STORAGE, [local, session]);
}
