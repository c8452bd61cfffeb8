import { KEYS } from '../api.js';
import type { Prng } from '../prng.js';
import type { RouteShots } from './route-shots.js';

// Methods a route does not take, and changes to a valid request's headers.

export const ODD_METHODS = [
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'TRACE',
  'FOO',
  'BREW',
  'PROPFIND',
  'MKCOL',
  'M-SEARCH',
  'PURGE',
  'LINK',
  'SEARCH',
  'QUERY',
  'REPORT',
  'LOCK',
];

export type HeaderMutation = { kind: string; apply(h: Record<string, string | string[]>): void };

export const HEADER_MUTATIONS: HeaderMutation[] = [
  { kind: 'no Authorization', apply: (h) => delete h.authorization },
  { kind: 'an unknown key', apply: (h) => (h.authorization = 'Bearer not-a-real-key-0123456789') },
  { kind: 'Bearer and nothing', apply: (h) => (h.authorization = 'Bearer') },
  { kind: 'a 12 KB Bearer token', apply: (h) => (h.authorization = `Bearer ${'k'.repeat(12_000)}`) },
  { kind: 'a 20 KB header (over the limit)', apply: (h) => (h['x-big'] = 'b'.repeat(20_000)) },
  {
    kind: 'two Authorization headers',
    apply: (h) => (h.authorization = [`Bearer ${KEYS.acme.key}`, `Bearer ${KEYS.ops.key}`]),
  },
  { kind: 'latin1 bytes in Authorization', apply: (h) => (h.authorization = 'Bearer \u00ff\u00fe\u00e9') },
  { kind: 'Basic credentials', apply: (h) => (h.authorization = 'Basic b3BzOm9wcw==') },
  { kind: 'a garbage session cookie', apply: (h) => (h.cookie = 'fleet_admin_session=%ff%00;;=;a') },
  {
    kind: 'an 8 KB cookie',
    apply: (h) => (h.cookie = `fleet_admin_session=${'c'.repeat(8000)}`),
  },
  { kind: 'Origin: null', apply: (h) => (h.origin = 'null') },
  { kind: 'a garbage Origin', apply: (h) => (h.origin = 'http://[::1') },
  { kind: 'Accept: garbage', apply: (h) => (h.accept = ';;;q=abc, */*;q=') },
  { kind: 'Accept: text/html', apply: (h) => (h.accept = 'text/html') },
  { kind: 'X-Forwarded-For garbage', apply: (h) => (h['x-forwarded-for'] = '999.1.1.1, ::zz, \u00ff') },
  { kind: 'an empty Idempotency-Key', apply: (h) => (h['idempotency-key'] = '') },
  { kind: 'a latin1 Idempotency-Key', apply: (h) => (h['idempotency-key'] = 'cl\u00e9-\u00ff') },
  { kind: 'a 201-character Idempotency-Key', apply: (h) => (h['idempotency-key'] = 'i'.repeat(201)) },
  { kind: 'two Idempotency-Keys', apply: (h) => (h['idempotency-key'] = ['one-key', 'two-key']) },
  { kind: 'Content-Encoding: gzip on plain JSON', apply: (h) => (h['content-encoding'] = 'gzip') },
  { kind: 'Content-Encoding: br, zstd', apply: (h) => (h['content-encoding'] = 'br, zstd') },
  { kind: 'Expect: 100-continue', apply: (h) => (h.expect = '100-continue') },
  { kind: 'Expect: garbage', apply: (h) => (h.expect = 'something-else') },
  {
    kind: '150 extra headers',
    apply: (h) => {
      for (let i = 0; i < 150; i++) h[`x-extra-${i}`] = `v${i}`;
    },
  },
  { kind: 'Host: garbage', apply: (h) => (h.host = 'evil.example:99999') },
  {
    kind: 'Connection: upgrade to websocket',
    apply: (h) => Object.assign(h, { connection: 'Upgrade', upgrade: 'websocket' }),
  },
  { kind: 'Range: bytes=garbage', apply: (h) => (h.range = 'bytes=9-1,zz') },
  { kind: 'If-None-Match: *', apply: (h) => (h['if-none-match'] = '*') },
  { kind: 'Accept-Version: 99', apply: (h) => (h['accept-version'] = '99.x') },
  { kind: 'X-HTTP-Method-Override: DELETE', apply: (h) => (h['x-http-method-override'] = 'DELETE') },
];

/** One method the route does not take, and two header mutations of its valid request. */
export function methodAndHeaderShots(r: RouteShots, rng: Prng): void {
  const method = rng.pick(ODD_METHODS.filter((m) => m !== r.route.method));
  r.request('paths, queries, methods, headers', `method ${method}`, { method });
  for (let i = 0; i < 2; i++) {
    const mutation = rng.pick(HEADER_MUTATIONS);
    const headers = r.headers();
    mutation.apply(headers);
    r.request('paths, queries, methods, headers', `header: ${mutation.kind}`, {
      headers,
      mayGoUnanswered: mutation.kind.includes('20 KB'),
    });
  }
}
