import { batchBody, KEYS } from './api.js';
import type { Prng } from './prng.js';
import { type Route, routeKey } from './routes.js';

/**
 * The hostile corpus for the API: mutations of one valid request per route (every route the app
 * registered, so a new route gets its share), drawn with a seeded PRNG so a seed names a corpus.
 */

export type Scenario =
  | 'fields and types'
  | 'JSON and encodings'
  | 'paths, queries, methods, headers'
  | 'raw HTTP';

export interface Shot {
  id: number;
  scenario: Scenario;
  /** What was done, for the report: "wrong type at items[0]", "CL larger than the body", ... */
  kind: string;
  route: string;
  /** Sent through node:http, or as bytes on a socket. */
  transport: 'http' | 'raw';
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body?: Buffer;
  raw?: Buffer[];
  /** The server may rightly not answer (a body it never gets the end of, a socket it drops). */
  mayGoUnanswered?: boolean;
  timeoutMs?: number;
  /** Raw shots: half-close the socket after the bytes. */
  end?: boolean;
}

export interface CorpusContext {
  routes: Route[];
  /** A batch of acme's, and one of acme's the corpus may cancel. */
  batchId: string;
  cancelBatchId: string;
  artifactId: string;
  queueName: string;
  port: number;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Base {
  key: string | null;
  params: Record<string, string>;
  query?: string;
  body?: Json;
  /** A body that is not JSON (the login form). */
  form?: string;
  headers?: Record<string, string>;
}

const BODY_METHODS = ['POST', 'PUT', 'PATCH'];

/** One valid request for a route; routes not listed get a generic one (so new routes are covered). */
function baseline(route: Route, c: CorpusContext): Base {
  const ops = KEYS.ops.key;
  const acme = KEYS.acme.key;
  const fallbackParams = {
    queueName: c.queueName,
    jobId: `${c.batchId}.0`,
    queueStatus: 'failed',
    schedulerId: 'fuzz-scheduler',
    id: 'zz-none',
    name: 'victim',
  };
  const sameOrigin = { 'sec-fetch-site': 'same-origin' };
  switch (routeKey(route)) {
    case 'POST /v1/batches':
      return { key: acme, params: {}, body: batchBody(2) as unknown as Json };
    case 'GET /v1/batches':
      return { key: acme, params: {}, query: 'limit=5' };
    case 'GET /v1/batches/:id':
      return { key: acme, params: { id: c.batchId } };
    case 'GET /v1/batches/:id/items':
      return { key: acme, params: { id: c.batchId }, query: 'limit=5&state=queued' };
    case 'POST /v1/batches/:id/cancel':
      return { key: acme, params: { id: c.cancelBatchId } };
    case 'GET /v1/artifacts/:id':
      return { key: acme, params: { id: c.artifactId } };
    case 'POST /v1/profiles':
      return {
        key: ops,
        params: {},
        body: {
          id: 'pv-new',
          pool: 'victims',
          tags: ['t1'],
          proxy: { type: 'http', host: 'proxy.test', port: 8080, username: 'u', password: 'fuzz-secret' },
        },
      };
    case 'GET /v1/profiles':
      return { key: ops, params: {}, query: 'pool=victims&state=available&limit=10' };
    case 'GET /v1/profiles/:id':
    case 'POST /v1/profiles/:id/release':
      return { key: ops, params: { id: 'pv' } };
    case 'PATCH /v1/profiles/:id':
      return { key: ops, params: { id: 'pv' }, body: { tags: ['t2'], proxy: null } };
    case 'DELETE /v1/profiles/:id':
      return { key: ops, params: { id: 'pv-gone' }, query: 'force=true' };
    case 'POST /v1/profiles/:id/quarantine':
      return { key: ops, params: { id: 'pv' }, body: { reason: 'fuzz', durationMs: 1000 } };
    case 'POST /v1/profiles/import':
      return { key: ops, params: {}, body: { pool: 'victims', limit: 5 } };
    case 'POST /v1/keys/:name/revoke':
    case 'POST /v1/keys/:name/restore':
      return { key: ops, params: { name: 'victim' } };
    case 'POST /admin/login':
      return { key: null, params: {}, form: `key=${KEYS.victim.key}`, headers: sameOrigin };
    case 'POST /admin/logout':
      return { key: null, params: {}, headers: sameOrigin };
    case 'POST /admin/queues/api/queues/:queueName/add':
      return { key: ops, params: fallbackParams, body: { name: 'fuzz', data: { a: 1 }, options: {} } };
    case 'PATCH /admin/queues/api/queues/:queueName/:jobId/update-data':
      return { key: ops, params: fallbackParams, body: { data: { a: 2 } } };
    case 'PUT /admin/queues/api/queues/:queueName/concurrency':
      return { key: ops, params: fallbackParams, body: { concurrency: 2 } };
  }
  const admin = /^\/(v1\/profiles|v1\/keys|admin\/queues)(\/|$)/.test(route.path);
  return {
    key: admin ? ops : acme,
    params: fallbackParams,
    ...(BODY_METHODS.includes(route.method) ? { body: {} } : {}),
  };
}

// ---- the garbage --------------------------------------------------------------------------------

/** Path parameter values, already %-encoded where they must be (a few are raw latin1 bytes). */
const PATH_GARBAGE = [
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

const QUERY_GARBAGE = [
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

const ODD_METHODS = [
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

type HeaderMutation = { kind: string; apply(h: Record<string, string | string[]>): void };

const HEADER_MUTATIONS: HeaderMutation[] = [
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

const WRONG_VALUES: Json[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  '',
  'x',
  ' ',
  [],
  {},
  [[]],
  [null],
  { a: {} },
  '0',
  'true',
  '[object Object]',
];

const WEIRD_STRINGS = [
  '\u0000',
  'a\u0000b',
  '\u0007\u0008\u001b[31m',
  '\u202eevil',
  '\u200b\u200c\u200d\ufeff',
  '💩🏳️‍🌈👨‍👩‍👧',
  'ｆｕｌｌｗｉｄｔｈ',
  'e\u0301'.repeat(2000),
  '\ud83d',
  '\udc00x',
  '\r\nSet-Cookie: x=1',
  '<script>alert(1)</script>',
  '{{__proto__}}',
  '../../etc/passwd',
  'javascript:alert(1)',
  'https://example.test/\u0000',
  '\\u0000',
  '%00%ff',
  'ǅǈ',
  '\u2028\u2029',
];

/** Texts that are not JSON (or are JSON of the wrong kind). */
const BAD_JSON = [
  '{',
  '}',
  '{"a":}',
  '{"a":1,}',
  '[1,]',
  "{'a':1}",
  '{a:1}',
  '{"a":1}{"b":2}',
  '{"a":1} trailing',
  '{"a":NaN}',
  '{"a":Infinity}',
  '{"a":undefined}',
  '{"a":0x10}',
  '{"a":.5}',
  '{"a":01}',
  '{"a":"\\x41"}',
  '{"a":"\\u12"}',
  '{"a":"unterminated}',
  '/* comment */ {"a":1}',
  '{"a":1 // comment\n}',
  'null',
  'true',
  '42',
  '"string"',
  '[]',
  '   ',
  '\u0000',
  '\ufeff{}',
  '{"a":"\u0001raw control"}',
  '{"a":"raw\nnewline"}',
  '{"":1}',
  '{"a":1,"a":2,"a":3}',
];

const BIG_NUMBERS = [
  '1e999',
  '-1e999',
  '-0',
  '9007199254740993',
  '1e-999',
  '123456789012345678901234567890',
  '2e-7',
];

const CONTENT_TYPES = [
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----x',
  'multipart/form-data',
  'application/xml',
  'application/octet-stream',
  'application/json; charset=utf-16',
  'application/json; charset=ascii',
  'application/json; charset="utf-8"; foo=bar',
  'application/json;;;',
  'APPLICATION/JSON',
  'application/JSON; CHARSET=UTF-8',
  'application/json-patch+json',
  'application/vnd.api+json',
  'application/*',
  '*/*',
  '',
  ';',
  'application/json, text/plain',
  'image/png',
  `application/json; x=${'y'.repeat(4000)}`,
  'application/\u00ffjson',
];

// ---- JSON surgery -------------------------------------------------------------------------------

type Path = (string | number)[];

function allPaths(value: Json, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...allPaths(v, [...prefix, i]));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...allPaths(v, [...prefix, k]));
  }
  return out;
}

const clone = (value: Json): Json => JSON.parse(JSON.stringify(value)) as Json;

function setAt(root: Json, path: Path, replacement: Json | undefined): Json {
  if (path.length === 0) return replacement === undefined ? null : replacement;
  const copy = clone(root);
  let node = copy as Record<string | number, Json>;
  for (const step of path.slice(0, -1)) node = node[step] as Record<string | number, Json>;
  const last = path[path.length - 1]!;
  if (replacement === undefined) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else node[last] = replacement;
  return copy;
}

const pathText = (path: Path) =>
  path.length ? path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('') : '(root)';

/** `body` with a raw JSON text at `path` (text JSON.stringify cannot make: 1e999, deep nesting). */
function withRaw(body: Json, path: Path, raw: string): string {
  const token = '__FAULTS_RAW_TOKEN__';
  return JSON.stringify(setAt(body, path, token)).replace(`"${token}"`, () => raw);
}

const deepArrays = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const deepObjects = (n: number) => `${'{"a":'.repeat(n)}0${'}'.repeat(n)}`;

interface BodyMutation {
  kind: string;
  body: Buffer;
  contentType?: string;
}

function mutateBody(base: Json, rng: Prng): BodyMutation {
  const paths = allPaths(base);
  const any = () => rng.pick(paths);
  const leafStrings = paths.filter(
    (p) =>
      typeof p.reduce<unknown>((n, k) => (n as Record<string | number, unknown>)?.[k], base) === 'string',
  );
  const objects = paths.filter((p) => {
    const v = p.reduce<unknown>((n, k) => (n as Record<string | number, unknown>)?.[k], base);
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  });
  const text = (s: string, kind: string, contentType?: string): BodyMutation => ({
    kind,
    body: Buffer.from(s, 'utf8'),
    ...(contentType !== undefined ? { contentType } : {}),
  });
  const pick = rng.int(0, 16);
  switch (pick) {
    case 0: {
      const p = rng.pick(paths.filter((x) => x.length > 0).concat([[]]));
      return text(JSON.stringify(setAt(base, p, undefined)), `drop ${pathText(p)}`);
    }
    case 1:
    case 2: {
      const p = any();
      const v = rng.pick(WRONG_VALUES);
      return text(JSON.stringify(setAt(base, p, v)), `wrong type at ${pathText(p)}: ${JSON.stringify(v)}`);
    }
    case 3: {
      const p = objects.length ? rng.pick(objects) : [];
      const key = rng.pick(['extra', '', '\u0000', 'constructor', 'toString', 'k'.repeat(1000), '💩']);
      const target = p.reduce<unknown>((n, k) => (n as Record<string | number, unknown>)[k], base);
      const grown = { ...(target as Record<string, Json>), [key]: rng.pick(WRONG_VALUES) };
      return text(
        JSON.stringify(setAt(base, p, grown)),
        `unknown field ${JSON.stringify(key.slice(0, 20))} at ${pathText(p)}`,
      );
    }
    case 4: {
      // The first key again, with a value of another type (JSON.parse keeps the last one).
      const s = JSON.stringify(base);
      if (!s.startsWith('{"')) return text(`{"a":1,"a":${s}}`, 'duplicated field');
      const key = s.slice(1, s.indexOf('"', 2) + 1);
      const dup = rng.chance(0.5)
        ? `{${key}:${JSON.stringify(rng.pick(WRONG_VALUES))},${s.slice(1)}`
        : `${s.slice(0, -1)},${key}:${JSON.stringify(rng.pick(WRONG_VALUES))}}`;
      return text(dup, `duplicated field ${key}`);
    }
    case 5: {
      const p = any();
      const n = rng.pick([1000, 10_000, 10_000, 40_000]);
      const nested = rng.chance(0.5) ? deepArrays(n) : deepObjects(n);
      return text(withRaw(base, p, nested), `${n} levels of nesting at ${pathText(p)}`);
    }
    case 6: {
      const p = leafStrings.length ? rng.pick(leafStrings) : any();
      const n = rng.pick([10_000, 100_000, 250_000]);
      return text(JSON.stringify(setAt(base, p, 'x'.repeat(n))), `a ${n}-character string at ${pathText(p)}`);
    }
    case 7: {
      const p = any();
      const n = rng.pick([1000, 10_001, 30_000]);
      const element = rng.pick<Json>([0, 'a', {}, { path: 'p' }, null]);
      return text(
        JSON.stringify(
          setAt(
            base,
            p,
            Array.from({ length: n }, () => element),
          ),
        ),
        `an array of ${n} at ${pathText(p)}`,
      );
    }
    case 8: {
      const p = leafStrings.length ? rng.pick(leafStrings) : any();
      const s = rng.pick(WEIRD_STRINGS);
      return text(
        JSON.stringify(setAt(base, p, s)),
        `odd characters at ${pathText(p)}: ${JSON.stringify(s).slice(0, 30)}`,
      );
    }
    case 9: {
      const p = any();
      const raw = rng.pick([
        '"\u0001\u0002\u001f"',
        '"tab\there"',
        '"\\ud800"',
        '"\\udfff\\ud800"',
        '"\\uDEAD"',
        '"\\/\\b\\f"',
        '"\\"',
        '"\\q"',
      ]);
      return text(withRaw(base, p, raw), `raw string escapes at ${pathText(p)}: ${JSON.stringify(raw)}`);
    }
    case 10: {
      const p = leafStrings.length ? rng.pick(leafStrings) : any();
      const bad = Buffer.from(
        rng.pick([
          [0xff, 0xfe],
          [0xc0, 0x80],
          [0xed, 0xa0, 0x80],
          [0xf8, 0x88, 0x80, 0x80, 0x80],
          [0xe2, 0x82],
          [0x80],
        ]),
      );
      const [before, after] = withRaw(base, p, '"__SPLIT__"').split('__SPLIT__');
      return {
        kind: `invalid UTF-8 ${bad.toString('hex')} at ${pathText(p)}`,
        body: Buffer.concat([Buffer.from(before!), bad, Buffer.from(after!)]),
      };
    }
    case 11: {
      const s = rng.pick(BAD_JSON);
      return text(s, `not JSON: ${JSON.stringify(s).slice(0, 30)}`);
    }
    case 12: {
      const s = JSON.stringify(base);
      const at = rng.int(0, Math.max(0, s.length - 1));
      return text(s.slice(0, at), `truncated at ${at} of ${s.length}`);
    }
    case 13: {
      const p = any();
      const n = rng.pick(BIG_NUMBERS);
      return text(withRaw(base, p, n), `number ${n} at ${pathText(p)}`);
    }
    case 14: {
      const s = JSON.stringify(base);
      const poison = rng.pick([
        '{"__proto__":{"admin":true},',
        '{"constructor":{"prototype":{"admin":true}},',
        '{"__proto__":null,',
      ]);
      return text(
        s.startsWith('{') && s.length > 2 ? poison + s.slice(1) : `${poison.slice(0, -1)}}`,
        `prototype poisoning: ${poison.slice(1, 16)}`,
      );
    }
    case 15: {
      const s = JSON.stringify(base);
      return rng.chance(0.5)
        ? {
            kind: 'UTF-16 body with a BOM',
            body: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]),
            contentType: 'application/json; charset=utf-16',
          }
        : text(`\ufeff${s}`, 'UTF-8 BOM before the JSON');
    }
    default: {
      const s = JSON.stringify(base);
      return text(
        rng.pick(['', ' ', '\n\n', s.replace(/:/g, ' : ').replace(/,/g, ' ,\n\t ')]),
        'empty, blank or spaced-out body',
      );
    }
  }
}

// ---- raw HTTP -------------------------------------------------------------------------------------

/** Malformed HTTP that no client library would send. */
function rawRequests(
  c: CorpusContext,
): { kind: string; bytes: (string | Buffer)[]; end?: boolean; timeoutMs?: number }[] {
  const auth = `Authorization: Bearer ${KEYS.acme.key}\r\n`;
  const host = `Host: 127.0.0.1:${c.port}\r\n`;
  const json = JSON.stringify(batchBody(1));
  return [
    { kind: 'garbage line', bytes: ['GARBAGE\r\n\r\n'] },
    {
      kind: 'binary noise',
      bytes: [Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37 + 11) % 256))],
    },
    {
      kind: 'TLS ClientHello on plain HTTP',
      bytes: [Buffer.from('16030100a5010000a10303', 'hex')],
      end: true,
    },
    { kind: 'HTTP/2 preface', bytes: ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'] },
    { kind: 'HTTP/9.9', bytes: [`GET /health HTTP/9.9\r\n${host}\r\n`] },
    { kind: 'HTTP/0.9 request line', bytes: ['GET /health\r\n\r\n'] },
    { kind: 'unknown method', bytes: [`FOO /health HTTP/1.1\r\n${host}\r\n`] },
    { kind: 'lowercase method', bytes: [`get /health HTTP/1.1\r\n${host}\r\n`] },
    { kind: 'no Host on HTTP/1.1', bytes: ['GET /health HTTP/1.1\r\n\r\n'] },
    { kind: 'two Hosts', bytes: [`GET /health HTTP/1.1\r\n${host}${host}\r\n`] },
    { kind: 'HTTP/1.0 without Host', bytes: ['GET /health HTTP/1.0\r\n\r\n'] },
    {
      kind: 'absolute-form URI',
      bytes: [`GET http://evil.example/v1/batches HTTP/1.1\r\n${host}${auth}\r\n`],
    },
    { kind: 'asterisk-form GET', bytes: [`GET * HTTP/1.1\r\n${host}\r\n`] },
    { kind: 'OPTIONS *', bytes: [`OPTIONS * HTTP/1.1\r\n${host}\r\n`] },
    { kind: 'CONNECT tunnel', bytes: [`CONNECT 127.0.0.1:22 HTTP/1.1\r\n${host}\r\n`] },
    { kind: 'header without a colon', bytes: [`GET /health HTTP/1.1\r\n${host}Bad Header\r\n\r\n`] },
    {
      kind: 'NUL in a header value',
      bytes: [`GET /v1/batches HTTP/1.1\r\n${host}X-A: a\u0000b\r\n${auth}\r\n`],
    },
    {
      kind: 'CR inside a header value',
      bytes: [`GET /v1/batches HTTP/1.1\r\n${host}X-A: a\rb\r\n${auth}\r\n`],
    },
    {
      kind: 'obs-fold header',
      bytes: [`GET /v1/batches HTTP/1.1\r\n${host}${auth}X-Folded: a\r\n  b\r\n\r\n`],
    },
    {
      kind: 'space before the colon',
      bytes: [`GET /v1/batches HTTP/1.1\r\n${host}Authorization : Bearer ${KEYS.acme.key}\r\n\r\n`],
    },
    { kind: 'bare LF line ends', bytes: [`GET /health HTTP/1.1\nHost: x\n\n`] },
    { kind: 'NUL in the path', bytes: [`GET /v1/batches/a\u0000b HTTP/1.1\r\n${host}${auth}\r\n`] },
    { kind: 'space in the path', bytes: [`GET /v1/batches/a b HTTP/1.1\r\n${host}${auth}\r\n`] },
    {
      kind: 'invalid UTF-8 in the path',
      bytes: [
        Buffer.concat([
          Buffer.from('GET /v1/batches/'),
          Buffer.from([0xc3, 0x28, 0xff]),
          Buffer.from(` HTTP/1.1\r\n${host}${auth}\r\n`),
        ]),
      ],
    },
    { kind: 'backslashes in the path', bytes: [`GET \\v1\\batches HTTP/1.1\r\n${host}${auth}\r\n`] },
    {
      kind: 'a 70 KB request line',
      bytes: [`GET /v1/batches?q=${'a'.repeat(70_000)} HTTP/1.1\r\n${host}\r\n`],
    },
    {
      kind: '3000 headers',
      bytes: [
        `GET /health HTTP/1.1\r\n${host}${Array.from({ length: 3000 }, (_, i) => `X-${i}: ${i}\r\n`).join('')}\r\n`,
      ],
    },
    {
      kind: 'Content-Length and chunked together',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      ],
    },
    {
      kind: 'two different Content-Lengths',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 4\r\n\r\n{}`,
      ],
    },
    {
      kind: 'negative Content-Length',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: -5\r\n\r\n{}`,
      ],
    },
    {
      kind: 'Content-Length not a number',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: abc\r\n\r\n{}`,
      ],
    },
    {
      kind: 'Content-Length of 2^64',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 18446744073709551616\r\n\r\n{}`,
      ],
    },
    {
      kind: 'Content-Length larger than the body',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n${json}`,
      ],
      timeoutMs: 600,
    },
    {
      kind: 'Content-Length larger than the body, then the client half-closes',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n${json}`,
      ],
      end: true,
    },
    {
      kind: 'Content-Length smaller than the body',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 10\r\n\r\n${json}`,
      ],
    },
    {
      kind: 'Content-Length 0 with a body',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 0\r\n\r\n${json}`,
      ],
    },
    {
      kind: 'a body on GET with Content-Length',
      bytes: [
        `GET /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 9\r\n\r\n{"a":"b"}`,
      ],
    },
    {
      kind: 'chunk size not hex',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      ],
    },
    {
      kind: 'chunk larger than announced',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{"a":1}\r\n0\r\n\r\n`,
      ],
    },
    {
      kind: 'chunked without the last chunk',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n`,
      ],
      timeoutMs: 600,
    },
    {
      kind: 'huge chunk size',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n{}\r\n0\r\n\r\n`,
      ],
    },
    {
      kind: 'chunk extensions and trailers',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2;ext="x"\r\n{}\r\n0\r\nX-Trailer: a\r\n\r\n`,
      ],
    },
    {
      kind: 'Transfer-Encoding: gzip, chunked',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
      ],
    },
    {
      kind: 'Transfer-Encoding: chunked, identity',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked, identity\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
      ],
    },
    {
      kind: 'smuggled second request',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /v1/keys HTTP/1.1\r\n${host}${auth}\r\n`,
      ],
    },
    { kind: 'valid then garbage, pipelined', bytes: [`GET /health HTTP/1.1\r\n${host}\r\nGARBAGE\r\n\r\n`] },
    {
      kind: 'ten pipelined requests',
      bytes: [
        Array.from({ length: 10 }, () => `GET /v1/batches?limit=1 HTTP/1.1\r\n${host}${auth}\r\n`).join(''),
      ],
    },
    {
      kind: 'headers cut off, then close',
      bytes: [`GET /v1/batches HTTP/1.1\r\n${host}Authoriz`],
      end: true,
    },
    {
      kind: 'headers cut off, left open',
      bytes: [`GET /v1/batches HTTP/1.1\r\n${host}Authoriz`],
      timeoutMs: 400,
    },
    {
      kind: 'body sent in 1-byte pieces',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n`,
        ...json.slice(0, 40).split(''),
      ],
      timeoutMs: 600,
    },
    {
      kind: 'Upgrade: h2c',
      bytes: [
        `GET /health HTTP/1.1\r\n${host}Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n`,
      ],
    },
    {
      kind: 'WebSocket upgrade to the API',
      bytes: [
        `GET /v1/batches HTTP/1.1\r\n${host}${auth}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      ],
    },
    {
      kind: 'Expect: 100-continue, body never sent',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 20\r\nExpect: 100-continue\r\n\r\n`,
      ],
      timeoutMs: 500,
    },
  ];
}

// ---- the corpus ---------------------------------------------------------------------------------

/** Builds the corpus for `routes`; the same seed and routes give the same shots. */
export function buildCorpus(c: CorpusContext, rng: Prng): Shot[] {
  const shots: Shot[] = [];
  let id = 0;
  const add = (shot: Omit<Shot, 'id'>) => shots.push({ id: ++id, ...shot });

  const routes = c.routes.filter((r) => r.method !== 'HEAD');
  for (const route of routes) {
    const base = baseline(route, c);
    const key = routeKey(route);
    const headersOf = (b: Base): Record<string, string | string[]> => ({
      accept: 'application/json',
      ...(b.key ? { authorization: `Bearer ${b.key}` } : {}),
      ...b.headers,
    });
    const pathOf = (params: Record<string, string>, query = base.query) =>
      fillPathRaw(route.path, params) + (query ? `?${query}` : '');
    const bodyOf = (b: Base): { body?: Buffer; contentType?: string } =>
      b.form !== undefined
        ? { body: Buffer.from(b.form), contentType: 'application/x-www-form-urlencoded' }
        : b.body !== undefined
          ? { body: Buffer.from(JSON.stringify(b.body)), contentType: 'application/json' }
          : {};
    const request = (
      scenario: Scenario,
      kind: string,
      over: Partial<Shot> & { contentType?: string } = {},
    ) => {
      const { body, contentType } = bodyOf(base);
      const headers = headersOf(base);
      const ct = 'contentType' in over ? over.contentType : contentType;
      if (ct !== undefined) headers['content-type'] = ct;
      const { contentType: _ignored, ...rest } = over;
      add({
        scenario,
        kind,
        route: key,
        transport: 'http',
        method: route.method,
        path: pathOf(base.params),
        headers,
        ...(body !== undefined ? { body } : {}),
        ...rest,
      });
    };

    request('fields and types', 'the valid request');

    // Path parameters.
    for (const param of [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!)) {
      for (let i = 0; i < 3; i++) {
        const value = rng.pick(PATH_GARBAGE);
        request(
          'paths, queries, methods, headers',
          `path :${param} = ${JSON.stringify(value.slice(0, 30))}`,
          {
            path: pathOf({ ...encodedParams(base.params), [param]: value }),
          },
        );
      }
    }
    if (route.path.endsWith('*')) {
      request('paths, queries, methods, headers', 'wildcard traversal', {
        path: route.path.replace(/\*$/, '..%2F..%2F..%2Fetc%2Fpasswd'),
      });
    }
    // Queries.
    for (let i = 0; i < 2; i++) {
      const q = rng.pick(QUERY_GARBAGE);
      request('paths, queries, methods, headers', `query ${JSON.stringify(q.slice(0, 40))}`, {
        path: pathOf(encodedParams(base.params), base.query ? `${base.query}&${q}` : q),
      });
    }
    // Methods.
    const method = rng.pick(ODD_METHODS.filter((m) => m !== route.method));
    request('paths, queries, methods, headers', `method ${method}`, { method });
    // Headers.
    for (let i = 0; i < 2; i++) {
      const mutation = rng.pick(HEADER_MUTATIONS);
      const headers = headersOf(base);
      const { body, contentType } = bodyOf(base);
      if (contentType) headers['content-type'] = contentType;
      mutation.apply(headers);
      add({
        scenario: 'paths, queries, methods, headers',
        kind: `header: ${mutation.kind}`,
        route: key,
        transport: 'http',
        method: route.method,
        path: pathOf(base.params),
        headers,
        ...(body ? { body } : {}),
        mayGoUnanswered: mutation.kind.includes('20 KB'),
      });
    }

    if (!BODY_METHODS.includes(route.method)) {
      // A body where none goes.
      request('JSON and encodings', 'a JSON body on a bodiless method', {
        body: Buffer.from('{"a":1}'),
        contentType: 'application/json',
      });
      continue;
    }
    const json = base.body ?? {};
    // Bodies: fields, types, JSON text, encodings. Routes we own with real bodies get more.
    const rounds = base.body !== undefined && Object.keys(base.body as object).length > 0 ? 16 : 6;
    for (let i = 0; i < rounds; i++) {
      const m = mutateBody(json, rng);
      request(
        /^(drop|wrong type|unknown field|duplicated)/.test(m.kind)
          ? 'fields and types'
          : 'JSON and encodings',
        m.kind,
        {
          body: m.body,
          contentType: m.contentType ?? 'application/json',
        },
      );
    }
    // Nesting 10,000 levels deep, on every body route whatever the draw: as the body, and as
    // each top-level field (arrays for one half, objects for the other).
    request('JSON and encodings', '10,000 nested arrays as the body', {
      body: Buffer.from(deepArrays(10_000)),
      contentType: 'application/json',
    });
    request('JSON and encodings', '10,000 nested objects as the body', {
      body: Buffer.from(deepObjects(10_000)),
      contentType: 'application/json',
    });
    Object.keys(json as object).forEach((field, i) => {
      const nested = i % 2 ? deepArrays(10_000) : deepObjects(10_000);
      request('JSON and encodings', `10,000 levels of nesting at .${field}`, {
        body: Buffer.from(withRaw(json, [field], nested)),
        contentType: 'application/json',
      });
      request('fields and types', `a NUL character at .${field}`, {
        body: Buffer.from(JSON.stringify(setAt(json, [field], 'a\u0000b'))),
        contentType: 'application/json',
      });
    });
    request('fields and types', 'a string with a NUL as the body', {
      body: Buffer.from('"a\\u0000b"'),
      contentType: 'application/json',
    });
    // Content types.
    for (let i = 0; i < 2; i++) {
      const ct = rng.pick(CONTENT_TYPES);
      request('JSON and encodings', `Content-Type ${JSON.stringify(ct.slice(0, 40))}`, { contentType: ct });
    }
    request('JSON and encodings', 'no Content-Type', { contentType: undefined });
    // Oversized (the test API's limit is 256 KiB).
    const size = rng.pick([300 * 1024, 1024 * 1024, 8 * 1024 * 1024]);
    request('JSON and encodings', `a ${Math.round(size / 1024)} KiB body`, {
      body: Buffer.from(`{"name":"${'x'.repeat(size)}"}`),
      contentType: 'application/json',
      mayGoUnanswered: true,
    });
  }

  for (const r of rawRequests(c)) {
    add({
      scenario: 'raw HTTP',
      kind: r.kind,
      route: 'raw socket',
      transport: 'raw',
      method: '',
      path: '',
      headers: {},
      raw: r.bytes.map((b) => (typeof b === 'string' ? Buffer.from(b, 'latin1') : b)),
      mayGoUnanswered: true,
      ...(r.timeoutMs ? { timeoutMs: r.timeoutMs } : {}),
      ...(r.end ? { end: true } : {}),
    });
  }
  return shots;
}

/** Params as they go in a path: valid values encoded, garbage given already encoded as is. */
function encodedParams(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, encodeURIComponent(v)]));
}

function fillPathRaw(path: string, params: Record<string, string>): string {
  // Params given here are either valid (encode them) or garbage from PATH_GARBAGE (sent as is).
  return path
    .replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => {
      const v = params[name] ?? 'zz-none';
      return /%|[^\x21-\x7e]/.test(v) || PATH_GARBAGE.includes(v) ? v : encodeURIComponent(v);
    })
    .replace(/\*$/, 'x');
}
