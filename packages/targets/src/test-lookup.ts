import type { Lookup } from './target-policy.js';

/** Answers from a fixed table, as a resolver would; anything else does not resolve. */
export function table(entries: Record<string, string[]>): Lookup {
  return async (host) => {
    const found = entries[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found;
  };
}
