import { NonRetryableError } from '@fleet/core';

/**
 * Decides whether the browser may visit a URL. The driver asks before every `goto` and again for
 * the URL the navigation ended at (redirects). An SSRF guard (BLOCK_PRIVATE_TARGETS) plugs in
 * here; it should reject with NonRetryableError `TARGET_BLOCKED`.
 */
export interface TargetGuard {
  check(url: URL): Promise<void>;
}

/** A URL as it may appear in errors and logs: no credentials, query or fragment (they may hold secrets). */
export function urlForMessage(url: URL | string): string {
  try {
    const parsed = typeof url === 'string' ? new URL(url) : url;
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `${parsed.protocol}…`;
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

/**
 * Only http and https, checked again here although the contracts schema checks too: steps reach
 * the driver after `{{var}}` substitution, and a variable may have turned into anything.
 */
export function httpTarget(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new NonRetryableError('TARGET_BLOCKED', 'goto needs an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new NonRetryableError('TARGET_BLOCKED', `goto refuses ${url.protocol} URLs: only http and https`);
  }
  return url;
}
