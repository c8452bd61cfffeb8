import { ACME_KEY, auth, batchBody, json, OPS_KEY, startTestApi, type TestApi } from './test-app.js';

interface Case {
  name: string;
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  url?: string;
  /** A JSON body (object), or raw text sent as is. */
  body?: unknown;
  raw?: string | Buffer;
  headers?: Record<string, string>;
  key?: string;
  status: number;
  code: string;
}

const ok = batchBody(2);
const steps = ok.steps;
const items = ok.items;
const withSteps = (s: unknown) => ({ ...ok, steps: s });
const withItems = (i: unknown) => ({ ...ok, items: i });
const withOptions = (o: unknown) => ({ ...ok, options: o });
const V = { status: 400, code: 'VALIDATION_FAILED' };

const CASES: Case[] = [
  // Body encoding and content type
  { name: 'bad JSON', raw: '{"steps": [', status: 400, code: 'INVALID_JSON' },
  { name: 'empty JSON body', raw: '', status: 400, code: 'INVALID_JSON' },
  {
    name: 'text/plain body',
    raw: 'hello',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'form body',
    raw: 'a=1',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'xml body',
    raw: '<batch/>',
    headers: { 'content-type': 'application/xml' },
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'body over the size limit',
    raw: JSON.stringify({ ...ok, name: 'x'.repeat(300_000) }),
    status: 413,
    code: 'BODY_TOO_LARGE',
  },
  { name: 'JSON array instead of object', body: [ok], ...V },
  { name: 'JSON string', raw: '"batch"', ...V },
  { name: 'JSON null', raw: 'null', ...V },
  // Fields: missing, wrong types, unknown
  { name: 'missing steps', body: { pool: 'default', items }, ...V },
  { name: 'missing items', body: { pool: 'default', steps }, ...V },
  { name: 'steps not an array', body: withSteps({ goto: 'https://a.test' }), ...V },
  { name: 'empty steps', body: withSteps([]), ...V },
  { name: 'items not an array', body: withItems({ a: 1 }), ...V },
  { name: 'empty items', body: withItems([]), ...V },
  { name: 'item not an object', body: withItems(['x']), ...V },
  { name: 'item value an object', body: withItems([{ path: { deep: 1 } }]), ...V },
  { name: 'item variable name invalid', body: withItems([{ 'bad-name': 'x' }]), ...V },
  { name: 'unknown top-level field', body: { ...ok, priority: 1 }, ...V },
  { name: 'name a number', body: { ...ok, name: 5 }, ...V },
  { name: 'name empty', body: { ...ok, name: '' }, ...V },
  { name: 'pool with a space', body: { ...ok, pool: 'my pool' }, ...V },
  { name: 'pool not a string', body: { ...ok, pool: 1 }, ...V },
  { name: 'tags not an array', body: { ...ok, tags: 'de' }, ...V },
  { name: 'tag with a space', body: { ...ok, tags: ['a b'] }, ...V },
  { name: 'unknown pool', body: { ...ok, pool: 'nowhere' }, status: 400, code: 'UNKNOWN_POOL' },
  // Steps
  { name: 'unknown step kind', body: withSteps([{ hoover: '#a' }]), ...V },
  { name: 'step with two kinds', body: withSteps([{ goto: 'https://a.test', click: '#a' }]), ...V },
  {
    name: 'step with unknown field',
    body: withSteps([{ waitFor: { selector: '#a', forever: true } }]),
    ...V,
  },
  { name: 'javascript: URL', body: withSteps([{ goto: 'javascript:alert(1)' }]), ...V },
  { name: 'file: URL', body: withSteps([{ goto: 'file:///etc/passwd' }]), ...V },
  { name: 'data: URL', body: withSteps([{ goto: 'data:text/html,<h1>x</h1>' }]), ...V },
  { name: 'chrome: URL', body: withSteps([{ goto: 'chrome://settings' }]), ...V },
  { name: 'ftp: URL', body: withSteps([{ goto: 'ftp://a.test/x' }]), ...V },
  { name: 'not a URL', body: withSteps([{ goto: 'not a url' }]), ...V },
  {
    name: 'variable filled with javascript:',
    body: { ...withSteps([{ goto: '{{u}}' }]), items: [{ u: 'javascript:alert(1)' }] },
    status: 400,
    code: 'INVALID_ARGUMENT',
  },
  {
    name: 'template variable missing from an item',
    body: { ...ok, items: [{ path: 'a' }, { other: 'b' }] },
    status: 400,
    code: 'INVALID_ARGUMENT',
  },
  { name: 'sleep too long', body: withSteps([{ sleep: 3_600_000 }]), ...V },
  { name: 'sleep negative', body: withSteps([{ sleep: -1 }]), ...V },
  { name: 'empty selector', body: withSteps([{ click: '' }]), ...V },
  { name: 'extract name invalid', body: withSteps([{ extract: { name: '1x', selector: 'h1' } }]), ...V },
  { name: 'too many steps', body: withSteps(Array.from({ length: 201 }, () => ({ sleep: 1 }))), ...V },
  // Nested steps (if, forEach, paginate, frame, tab)
  {
    name: 'nested unknown step kind',
    body: withSteps([{ if: { exists: '#a' }, then: [{ hoover: 1 }] }]),
    ...V,
  },
  {
    name: 'if with two conditions',
    body: withSteps([{ if: { exists: '#a', urlContains: 'x' }, then: [{ sleep: 1 }] }]),
    ...V,
  },
  { name: 'if without then', body: withSteps([{ if: { exists: '#a' }, else: [{ sleep: 1 }] }]), ...V },
  {
    name: 'if urlMatches not a regex',
    body: withSteps([{ if: { urlMatches: '(' }, then: [{ sleep: 1 }] }]),
    ...V,
  },
  {
    name: 'if waitMs too long',
    body: withSteps([{ if: { exists: '#a', waitMs: 60_001 }, then: [{ sleep: 1 }] }]),
    ...V,
  },
  {
    name: 'forEach max over 1000',
    body: withSteps([{ forEach: { selector: 'li', as: 'x', max: 1001 }, do: [{ sleep: 1 }] }]),
    ...V,
  },
  {
    name: 'forEach without as',
    body: withSteps([{ forEach: { selector: 'li' }, do: [{ sleep: 1 }] }]),
    ...V,
  },
  {
    name: 'paginate max over 100',
    body: withSteps([{ paginate: { next: 'a', max: 101 }, do: [{ sleep: 1 }] }]),
    ...V,
  },
  { name: 'frame with empty do', body: withSteps([{ frame: 'iframe', do: [] }]), ...V },
  {
    name: 'tab close not a boolean',
    body: withSteps([{ tab: { click: 'a', close: 'no' }, do: [{ sleep: 1 }] }]),
    ...V,
  },
  {
    name: 'nesting 6 levels deep',
    body: withSteps([
      [1, 2, 3, 4, 5, 6].reduce<unknown>((inner) => ({ frame: 'iframe', do: [inner] }), { sleep: 1 }),
    ]),
    ...V,
  },
  {
    name: 'over 200 steps counting nested ones',
    body: withSteps([{ frame: 'iframe', do: Array.from({ length: 200 }, () => ({ sleep: 1 })) }]),
    ...V,
  },
  {
    name: 'nested javascript: URL after interpolation',
    body: {
      ...withSteps([{ forEach: { selector: 'li', as: 'x' }, do: [{ goto: '{{u}}' }] }]),
      items: [{ u: 'javascript:alert(1)' }],
    },
    status: 400,
    code: 'INVALID_ARGUMENT',
  },

  // Limits and options
  {
    name: '10001 items',
    body: withItems(Array.from({ length: 10_001 }, (_, i) => ({ path: `p${i}` }))),
    status: 400,
    code: 'BATCH_TOO_LARGE',
  },
  { name: 'attempts zero', body: withOptions({ attempts: 0 }), ...V },
  { name: 'attempts a string', body: withOptions({ attempts: '3' }), ...V },
  { name: 'attempts fractional', body: withOptions({ attempts: 1.5 }), ...V },
  { name: 'priority too high', body: withOptions({ priority: 3_000_000 }), ...V },
  { name: 'itemTimeoutMs negative', body: withOptions({ itemTimeoutMs: -5 }), ...V },
  { name: 'unknown option', body: withOptions({ retries: 3 }), ...V },
  { name: 'proxy without port', body: withOptions({ proxy: { type: 'http', host: 'p.test' } }), ...V },
  {
    name: 'proxy of unknown type',
    body: withOptions({ proxy: { type: 'ftp', host: 'p.test', port: 1 } }),
    ...V,
  },
  {
    name: 'Idempotency-Key too long',
    body: ok,
    headers: { 'idempotency-key': 'k'.repeat(201) },
    status: 400,
    code: 'INVALID_IDEMPOTENCY_KEY',
  },
  // Paths and queries
  {
    name: 'batch id with a colon',
    method: 'GET',
    url: '/v1/batches/a:b',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  { name: 'unknown batch', method: 'GET', url: '/v1/batches/nope', status: 404, code: 'BATCH_NOT_FOUND' },
  {
    name: 'items limit zero',
    method: 'GET',
    url: '/v1/batches/nope/items?limit=0',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'items state unknown',
    method: 'GET',
    url: '/v1/batches/nope/items?state=lost',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'items cursor not a number',
    method: 'GET',
    url: '/v1/batches/nope/items?cursor=abc',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'list limit not a number',
    method: 'GET',
    url: '/v1/batches?limit=ten',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'list cursor forged',
    method: 'GET',
    url: '/v1/batches?cursor=zzz',
    status: 400,
    code: 'INVALID_ARGUMENT',
  },
  {
    name: 'unknown query parameter',
    method: 'GET',
    url: '/v1/batches?owner=x',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'artifact id malformed',
    method: 'GET',
    url: '/v1/artifacts/..%2F..%2Fetc',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  { name: 'unknown route', method: 'GET', url: '/v1/nothing', status: 404, code: 'ROUTE_NOT_FOUND' },
  { name: 'wrong method', method: 'PUT', url: '/v1/batches', body: ok, status: 404, code: 'ROUTE_NOT_FOUND' },
  // Profiles (admin)
  { name: 'profile without pool', url: '/v1/profiles', key: OPS_KEY, body: { id: 'x' }, ...V },
  {
    name: 'profile id with a slash',
    url: '/v1/profiles',
    key: OPS_KEY,
    body: { id: 'a/b', pool: 'p' },
    ...V,
  },
  {
    name: 'profile proxy port a string',
    url: '/v1/profiles',
    key: OPS_KEY,
    body: { id: 'a', pool: 'p', proxy: { type: 'http', host: 'h', port: '80' } },
    ...V,
  },
  { name: 'empty profile patch', method: 'PATCH', url: '/v1/profiles/a', key: OPS_KEY, body: {}, ...V },
  {
    name: 'quarantine duration negative',
    url: '/v1/profiles/a/quarantine',
    key: OPS_KEY,
    body: { durationMs: -1 },
    ...V,
  },
  { name: 'delete force not boolean', method: 'DELETE', url: '/v1/profiles/a?force=yes', key: OPS_KEY, ...V },
  {
    name: 'import limit zero',
    url: '/v1/profiles/import',
    key: OPS_KEY,
    body: { pool: 'p', limit: 0 },
    ...V,
  },
  // Auth
  { name: 'no key', headers: { authorization: '' }, body: ok, status: 401, code: 'UNAUTHORIZED' },
  {
    name: 'basic auth',
    headers: { authorization: 'Basic b3BzOm9wcw==' },
    body: ok,
    status: 401,
    code: 'UNAUTHORIZED',
  },
  { name: 'user key on an admin route', method: 'GET', url: '/v1/profiles', status: 403, code: 'FORBIDDEN' },
];

describe(`bad input: ${CASES.length} malformed requests, each a 4xx with a stable code`, () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi({ bodyLimitBytes: 64 * 1024 * 4 });
    await t.profiles.register({ id: 'p1', pool: 'default' });
  });
  afterAll(() => t.close());

  it('has at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const headers: Record<string, string> = { ...auth(c.key ?? ACME_KEY), ...c.headers };
    if (headers.authorization === '') delete headers.authorization;
    const method = c.method ?? 'POST';
    let payload: string | Buffer | undefined;
    if (c.raw !== undefined) {
      payload = c.raw;
      headers['content-type'] ??= 'application/json';
    } else if (c.body !== undefined) {
      payload = JSON.stringify(c.body);
      headers['content-type'] = 'application/json';
    }
    const res = await t.app.inject({
      method,
      url: c.url ?? '/v1/batches',
      headers,
      ...(payload !== undefined ? { payload } : {}),
    });
    const body = json<{ error: { code: string; message: string; details: unknown[] } }>(res);
    expect({ status: res.statusCode, code: body.error?.code }).toEqual({ status: c.status, code: c.code });
    expect(typeof body.error.message).toBe('string');
    expect(Array.isArray(body.error.details)).toBe(true);
  });

  it('a bad nested step names its path into the nested lists', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: auth(ACME_KEY),
      payload: {
        ...ok,
        steps: [
          { goto: 'https://a.test/{{path}}' },
          { forEach: { selector: 'li', as: 'x' }, do: [{ if: { exists: '#a' }, then: [{ click: '' }] }] },
        ],
      },
    });
    expect(res.statusCode).toBe(400);
    expect(json(res)).toMatchObject({
      error: { code: 'VALIDATION_FAILED', details: [{ field: 'steps[1].do[0].then[0].click' }] },
    });
  });

  it('validation errors name the field that is wrong', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: auth(ACME_KEY),
      payload: { ...ok, items: [{ path: 'a' }, { other: 'b' }] },
    });
    expect(json(res)).toMatchObject({
      error: { details: [{ field: 'items[1].steps[0].goto', message: expect.stringContaining('path') }] },
    });
  });
});
