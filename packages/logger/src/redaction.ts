/** What a redacted value reads as in the logs. */
export const REDACT_CENSOR = '[redacted]';

/**
 * Paths whose values never reach a log line (pino `redact` syntax: `*` is one level of any key,
 * brackets quote keys with dashes). Pino only looks where a path says, so a secret under a name or
 * a depth not listed here is logged as is: keep secrets out of log calls, and add a path here when
 * a new secret-carrying shape appears. `redactUrl` covers credentials inside URLs.
 */
export const REDACT_PATHS: readonly string[] = [
  // HTTP credentials, on raw headers or on a request/response object that carries them
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.headers.authorization',
  'headers.cookie',
  '*.headers.cookie',
  // API keys (FLEET_API_KEYS entries and the x-api-key header)
  'apiKey',
  'apiKeys',
  '*.apiKey',
  '*.apiKeys',
  '["x-api-key"]',
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
  // passwords (Multilogin sign-in, launcher, proxies)
  'password',
  '*.password',
  '*.*.password',
  // tokens (Multilogin automation token, OAuth-style pairs)
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'refresh_token',
  '*.refresh_token',
  'automationToken',
  '*.automationToken',
  // proxy credentials: providers encode sessions and accounts in the user name too
  'proxy.username',
  'proxy.password',
  '*.proxy.username',
  '*.proxy.password',
];

/**
 * Masks the user-info of every URL in `text` — `redis://:pw@host` → `redis://[redacted]@host`. All
 * of it, not only the password: in `https://<token>@host` the user name is the secret. Use it before
 * logging REDIS_URL, proxy URLs, or any URL a user supplied.
 */
export function redactUrl(text: string): string {
  return text.replace(/(\/\/)[^/?#\s]*@/g, `$1${REDACT_CENSOR}@`);
}

/** Query parameters that carry credentials by their name: `api_key`, `token`, `sig`, `password`… */
const SECRET_PARAM = /key|token|secret|passw|pwd|auth|session|sig|credential/i;

/**
 * Masks the values of query parameters named like credentials — `/v1/batches?api_key=…` →
 * `/v1/batches?api_key=[redacted]`. Fleet takes keys in headers only, but a client may still put
 * one in a URL, and request URLs are logged: the `req` serializer applies it (with `redactUrl`).
 */
export function redactQuery(url: string): string {
  const at = url.indexOf('?');
  if (at === -1) return url;
  const end = url.indexOf('#', at);
  const query = url.slice(at + 1, end === -1 ? undefined : end);
  const masked = query.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq === -1) return pair;
    let name = pair.slice(0, eq);
    try {
      name = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      // not %-encoding: judge the name as written
    }
    return SECRET_PARAM.test(name) ? `${pair.slice(0, eq)}=${REDACT_CENSOR}` : pair;
  });
  return `${url.slice(0, at + 1)}${masked.join('&')}${end === -1 ? '' : url.slice(end)}`;
}
