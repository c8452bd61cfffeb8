import type { Prng } from '../prng.js';
import { BODY_METHODS } from './baseline.js';
import { BAD_JSON, BIG_NUMBERS, CONTENT_TYPES, WEIRD_STRINGS, WRONG_VALUES } from './body-values.js';
import { allPaths, deepArrays, deepObjects, pathText, setAt, withRaw } from './json-surgery.js';
import type { RouteShots, Variation } from './route-shots.js';
import type { Json, Scenario } from './shot.js';

export interface BodyMutation {
  kind: string;
  body: Buffer;
  contentType?: string;
}

export function mutateBody(base: Json, rng: Prng): BodyMutation {
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

/**
 * A route's body shots: a body where none goes (bodiless methods); else random mutations (16
 * rounds for a route with a real body, 6 otherwise), 10,000 levels of nesting and NUL characters
 * whatever the draw, two odd content types and none, and one body over the size limit.
 */
export function bodyShots(r: RouteShots, rng: Prng): void {
  const json: Json = r.base.body ?? {};
  if (!BODY_METHODS.includes(r.route.method)) {
    r.request('JSON and encodings', 'a JSON body on a bodiless method', {
      body: Buffer.from('{"a":1}'),
      contentType: 'application/json',
    });
    return;
  }
  const asJson = (kind: string, scenario: Scenario, body: string | Buffer, over: Variation = {}) =>
    r.request(scenario, kind, {
      body: Buffer.isBuffer(body) ? body : Buffer.from(body),
      contentType: 'application/json',
      ...over,
    });
  const base = r.base.body;
  const rounds = base !== undefined && Object.keys(base as object).length > 0 ? 16 : 6;
  for (let i = 0; i < rounds; i++) {
    const m = mutateBody(json, rng);
    const scenario = /^(drop|wrong type|unknown field|duplicated)/.test(m.kind)
      ? 'fields and types'
      : 'JSON and encodings';
    asJson(m.kind, scenario, m.body, { contentType: m.contentType ?? 'application/json' });
  }
  // Nesting 10,000 levels deep, on every body route whatever the draw: as the body, and as
  // each top-level field (arrays for one half, objects for the other).
  asJson('10,000 nested arrays as the body', 'JSON and encodings', deepArrays(10_000));
  asJson('10,000 nested objects as the body', 'JSON and encodings', deepObjects(10_000));
  Object.keys(json as object).forEach((field, i) => {
    const nested = i % 2 ? deepArrays(10_000) : deepObjects(10_000);
    asJson(`10,000 levels of nesting at .${field}`, 'JSON and encodings', withRaw(json, [field], nested));
    asJson(
      `a NUL character at .${field}`,
      'fields and types',
      JSON.stringify(setAt(json, [field], 'a\u0000b')),
    );
  });
  asJson('a string with a NUL as the body', 'fields and types', '"a\\u0000b"');
  for (let i = 0; i < 2; i++) {
    const ct = rng.pick(CONTENT_TYPES);
    r.request('JSON and encodings', `Content-Type ${JSON.stringify(ct.slice(0, 40))}`, { contentType: ct });
  }
  r.request('JSON and encodings', 'no Content-Type', { contentType: undefined });
  // Oversized (the test API's limit is 256 KiB).
  const size = rng.pick([300 * 1024, 1024 * 1024, 8 * 1024 * 1024]);
  asJson(`a ${Math.round(size / 1024)} KiB body`, 'JSON and encodings', `{"name":"${'x'.repeat(size)}"}`, {
    mayGoUnanswered: true,
  });
}
