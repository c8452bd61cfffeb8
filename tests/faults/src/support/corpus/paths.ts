import type { Prng } from '../prng.js';
import type { RouteShots } from './route-shots.js';

// URLs: garbage for path parameters and query strings, and how a path is filled with it.

/** Path parameter values, already %-encoded where they must be (a few are raw latin1 bytes). */
export const PATH_GARBAGE = [
  '..',
  '..%2F..%2F..%2Fetc%2Fpasswd',
  '%2e%2e%2f%2e%2e%2f',
  '....//....//',
  '..%5c..%5cwindows',
  '%00',
  'a%00b',
  '%ff%fe',
  '%',
  '%zz',
  '%C0%AF',
  '%ED%A0%80',
  '%F0%9F%92%A9',
  '%E2%80%AE',
  '\u00ff\u00fe',
  '%0d%0aX-Injected:%20yes',
  '%20',
  '%2F',
  '%3F',
  '%23frag',
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  '-1',
  '1e309',
  'NaN',
  'null',
  'undefined',
  '%5B%5D',
  '%7B%7D',
  'a:b',
  'a;b',
  'a..b',
  '.',
  '%2e',
  '~',
  'A'.repeat(22),
  `${'A'.repeat(21)}%00`,
  'a'.repeat(64),
  'a'.repeat(65),
  'a'.repeat(200),
  'a'.repeat(201),
  'a'.repeat(4000),
  '%61'.repeat(300),
  '*',
  '%2A',
  '{{path}}',
  "'%20OR%201=1--",
  '$(reboot)',
  '%3Cscript%3E',
];

export const QUERY_GARBAGE = [
  'limit=-1',
  'limit=0',
  'limit=1e309',
  'limit=0x10',
  'limit=1.5',
  'limit=NaN',
  'limit=Infinity',
  'limit=%20',
  'limit=99999999999999999999999',
  'limit[]=1',
  'limit=1&limit=2',
  'limit[a]=1',
  'cursor=%00',
  'cursor=-1',
  'cursor=999999999',
  'cursor=1%00',
  `cursor=${'z'.repeat(3000)}`,
  'cursor=%ff%fe',
  'cursor=0000000000000000000:x',
  'cursor=9999999999999999999999:zz',
  'state=__proto__',
  'state=lost',
  'state[]=queued',
  '__proto__[admin]=1',
  'constructor[prototype][admin]=1',
  '__proto__=x',
  'a=%ff',
  '%ff=1',
  '=',
  '&&&&',
  '?',
  'a',
  `${'k'.repeat(2000)}=v`,
  'force=yes',
  'force=true&force=false',
  'pool=../x',
  'pool=%00',
  'pool=a%20b',
  `pool=${'p'.repeat(500)}`,
  `x=${'%00'.repeat(500)}`,
  `${Array.from({ length: 400 }, (_, i) => `p${i}=${i}`).join('&')}`,
];

/** Params as they go in a path: valid values encoded, garbage given already encoded as is. */
export function encodedParams(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, encodeURIComponent(v)]));
}

export function fillPathRaw(path: string, params: Record<string, string>): string {
  // Params given here are either valid (encode them) or garbage from PATH_GARBAGE (sent as is).
  return path
    .replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => {
      const v = params[name] ?? 'zz-none';
      return /%|[^\x21-\x7e]/.test(v) || PATH_GARBAGE.includes(v) ? v : encodeURIComponent(v);
    })
    .replace(/\*$/, 'x');
}

/** Garbage in each path parameter (three draws), a traversal for a wildcard, two bad queries. */
export function pathShots(r: RouteShots, rng: Prng): void {
  const { route, base } = r;
  for (const param of [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!)) {
    for (let i = 0; i < 3; i++) {
      const value = rng.pick(PATH_GARBAGE);
      r.request(
        'paths, queries, methods, headers',
        `path :${param} = ${JSON.stringify(value.slice(0, 30))}`,
        {
          path: r.path({ ...encodedParams(base.params), [param]: value }),
        },
      );
    }
  }
  if (route.path.endsWith('*')) {
    r.request('paths, queries, methods, headers', 'wildcard traversal', {
      path: route.path.replace(/\*$/, '..%2F..%2F..%2Fetc%2Fpasswd'),
    });
  }
  for (let i = 0; i < 2; i++) {
    const q = rng.pick(QUERY_GARBAGE);
    r.request('paths, queries, methods, headers', `query ${JSON.stringify(q.slice(0, 40))}`, {
      path: r.path(encodedParams(base.params), base.query ? `${base.query}&${q}` : q),
    });
  }
}
