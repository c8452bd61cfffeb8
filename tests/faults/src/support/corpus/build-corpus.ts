import type { Prng } from '../prng.js';
import { routeKey } from '../routes.js';
import { type Base, BODY_METHODS, baseline } from './baseline.js';
import { mutateBody } from './body-mutations.js';
import { CONTENT_TYPES } from './body-values.js';
import { deepArrays, deepObjects, setAt, withRaw } from './json-surgery.js';
import { HEADER_MUTATIONS, ODD_METHODS } from './methods-and-headers.js';
import { encodedParams, fillPathRaw, PATH_GARBAGE, QUERY_GARBAGE } from './paths.js';
import { rawRequests } from './raw-http.js';
import type { CorpusContext, Scenario, Shot } from './shot.js';

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
