import type { FastifyRequest } from 'fastify';
import { ApiError } from '../api-error.js';

/** Methods that change state; a cookie-authenticated one must come from this site's own pages. */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * CSRF defence for requests authenticated by the admin session cookie (Bull Board's buttons retry,
 * remove, clean and pause jobs with POST/PUT/DELETE/PATCH fetches; the login and logout forms
 * POST). We check where the request came from rather than issue tokens, because Bull Board's UI
 * cannot be taught to send a token:
 * - `Origin` (browsers send it on every cross-origin request and on same-origin POST/PUT/PATCH/
 *   DELETE fetches and form posts) must name this server's own host: same host name and port,
 *   the port defaulting by the Origin's scheme, so `http://h` matches `Host: h:80`. The scheme is
 *   not compared: behind a TLS-terminating proxy the request arrives as http while the page is
 *   https, and one host:port serves one scheme anyway.
 * - Without `Origin`, `Sec-Fetch-Site: same-origin` is accepted; anything else (neither header,
 *   `Origin: null`, another site) is refused.
 * The cookie is also `SameSite=Strict`, so a cross-site page cannot send it at all; this check is
 * the second layer (same-site but cross-origin pages: another port or subdomain). Requests with a
 * Bearer key carry no ambient credential and are not checked.
 */
export function isSameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (typeof origin === 'string') {
    if (origin === 'null') return false;
    try {
      const from = new URL(origin);
      const self = new URL(`${from.protocol}//${request.host}`);
      return from.host === self.host;
    } catch {
      return false;
    }
  }
  return request.headers['sec-fetch-site'] === 'same-origin';
}

/** Throws 403 CSRF_REJECTED for a state-changing request that did not come from this origin. */
export function assertSameOrigin(request: FastifyRequest): void {
  if (STATE_CHANGING.has(request.method) && !isSameOrigin(request)) {
    throw new ApiError(
      'CSRF_REJECTED',
      'this request did not come from this server\'s own pages (Origin / Sec-Fetch-Site): reload the page and try again, or send "Authorization: Bearer <API key>"',
    );
  }
}
