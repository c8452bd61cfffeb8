/**
 * Every route the API registers refuses a request without a key (401)
 * and admin routes refuse a user key (403); tenant B sees none of tenant A's batches, items,
 * artifacts or events — over HTTP on a listening API and over Socket.IO on a notifier that shares
 * its Redis prefix. Routes are read from the app itself, so a new route is covered without a
 * change here (and a new public route fails until it is added to PUBLIC below).
 */
import type { BatchView, FleetEvent } from '@fleet/contracts';
import type { RunningNotifier } from '@fleet/notifier';
import { RedisEventStream } from '@fleet/redis';
import { waitFor } from '@fleet/testing';
import { batchBody, bearer, KEYS, type ListeningApi, startListeningApi } from './support/api.js';
import { type Answer, errorShapeProblem, httpSend } from './support/http.js';
import { ask as askNotifier, type Client, connectClient, startTestNotifier } from './support/notifier.js';
import { fillPath, type Route, routeKey } from './support/routes.js';
import { recordRow } from './support/table.js';

/** Routes that take no key by design (README: health, readiness, metrics, the autoscaler's queue demand, docs, login, dashboard). */
const PUBLIC = [
  /^\/health$/,
  /^\/ready$/,
  /^\/metrics$/,
  /^\/metrics\/queue$/,
  /^\/openapi\.json$/,
  /^\/docs(\/|$)/,
  /^\/admin\/login$/,
  // Logging out needs no key (it ends the cookie's session; its POST must come from the same origin).
  /^\/admin\/logout$/,
  /^\/$/,
  /^\/dashboard\//,
];
/** Routes only admin keys may use (README: /v1/profiles*, /v1/keys*, /v1/admin/* (webhooks, sites), Bull Board). */
const ADMIN = [/^\/v1\/profiles(\/|$)/, /^\/v1\/keys(\/|$)/, /^\/v1\/admin\//, /^\/admin\/queues(\/|$)/];

const isPublic = (r: Route) => PUBLIC.some((p) => p.test(r.path));
const isAdmin = (r: Route) => ADMIN.some((p) => p.test(r.path));

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

let api: ListeningApi;
let notifier: RunningNotifier;
let requests = 0;
let fiveXx = 0;
const clients: Client[] = [];

/** One request over HTTP to the listening API, counted for the fault table. */
async function call(
  method: string,
  path: string,
  key: string | null,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (key !== null) headers.authorization ??= `Bearer ${key}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const answer = await httpSend(api.port, { method, path, headers, ...(body !== undefined ? { body } : {}) });
  requests++;
  if (answer.status !== null && answer.status >= 500) fiveXx++;
  return answer;
}

/** A notifier request, counted for the fault table like the HTTP ones. */
const ask = (...args: Parameters<typeof askNotifier>) => {
  requests++;
  return askNotifier(...args);
};

const json = <T>(answer: Answer): T => JSON.parse(answer.body) as T;
const code = (answer: Answer) =>
  answer.body ? (json<{ error?: { code?: string } }>(answer).error?.code ?? null) : null;
/** A request for a route with placeholders for its path parameters and a `{}` body where one goes. */
const requestFor = (route: Route, key: string | null, headers?: Record<string, string>) =>
  call(route.method, fillPath(route.path, {}, 'zz-unknown-1'), key, {
    ...(['POST', 'PUT', 'PATCH'].includes(route.method) ? { body: {} } : {}),
    ...(headers ? { headers } : {}),
  });

beforeAll(async () => {
  api = await startListeningApi();
  notifier = await startTestNotifier(api.prefix);
});

afterAll(async () => {
  for (const c of clients) c.socket.close();
  await notifier?.close();
  await api?.close();
  recordRow({
    scenario: 'security: keys, roles, tenants',
    repetitions: requests,
    items: 0,
    fiveXx,
    crashes: 0,
  });
});

describe('the route table', () => {
  it('is read from the app and holds every documented operation', async () => {
    const doc = json<{ paths: Record<string, Record<string, unknown>> }>(
      await call('GET', '/openapi.json', null),
    );
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    const served = new Set(api.routes.map(routeKey));
    expect(documented.length).toBeGreaterThan(15);
    expect(documented.filter((op) => !served.has(op))).toEqual([]);
    // Bull Board's routes are registered too (they are not in the OpenAPI document).
    expect(api.routes.filter((r) => r.path.startsWith('/admin/queues/')).length).toBeGreaterThan(10);
  });
});

describe('authentication and roles on every route', () => {
  it('answers 401 UNAUTHORIZED on every non-public route without a valid key', async () => {
    const guarded = api.routes.filter((r) => !isPublic(r));
    const failures: string[] = [];
    const variants: [string, Record<string, string> | undefined, string | null][] = [
      ['no Authorization', undefined, null],
      ['an unknown key', bearer('not-a-key-0123456789abcdef'), null],
      ['a key without "Bearer"', { authorization: KEYS.ops.key }, null],
      [
        'Basic credentials',
        { authorization: `Basic ${Buffer.from(`ops:${KEYS.ops.key}`).toString('base64')}` },
        null,
      ],
      ['an empty Bearer', { authorization: 'Bearer ' }, null],
    ];
    for (const route of guarded) {
      for (const [what, headers] of variants) {
        const answer = await requestFor(route, null, headers);
        const problem =
          answer.status !== 401
            ? `status ${answer.status}`
            : route.method !== 'HEAD' &&
              (errorShapeProblem(answer.body) ??
                (code(answer) === 'UNAUTHORIZED' ? null : `code ${code(answer)}`));
        if (problem) failures.push(`${routeKey(route)} with ${what}: ${problem}`);
      }
    }
    expect(guarded.length).toBeGreaterThan(40);
    expect(failures).toEqual([]);
  });

  it('sends a browser without a key from Bull Board to the login page, never into the board', async () => {
    const answer = await call('GET', '/admin/queues', null, { headers: { accept: 'text/html' } });
    expect([answer.status, answer.headers.location]).toEqual([303, '/admin/login']);
  });

  it('answers 403 FORBIDDEN to a user key on every admin route, and lets user keys through elsewhere', async () => {
    const failures: string[] = [];
    const admin = api.routes.filter((r) => !isPublic(r) && isAdmin(r));
    const user = api.routes.filter((r) => !isPublic(r) && !isAdmin(r));
    for (const key of [KEYS.acme.key, KEYS.other.key]) {
      for (const route of admin) {
        const answer = await requestFor(route, key);
        const problem =
          answer.status !== 403
            ? `status ${answer.status}`
            : route.method !== 'HEAD' &&
              (errorShapeProblem(answer.body) ??
                (code(answer) === 'FORBIDDEN' ? null : `code ${code(answer)}`));
        if (problem) failures.push(`${routeKey(route)}: ${problem}`);
      }
      for (const route of user) {
        const answer = await requestFor(route, key);
        if (
          answer.status === 401 ||
          answer.status === 403 ||
          answer.status === null ||
          answer.status >= 500
        ) {
          failures.push(
            `${routeKey(route)} refused a user key: ${answer.status} ${answer.body.slice(0, 100)}`,
          );
        }
      }
    }
    expect(admin.length).toBeGreaterThan(30);
    expect(user.length).toBeGreaterThan(5);
    expect(failures).toEqual([]);
  });

  it('lets an admin key through on every admin read', async () => {
    const reads = api.routes.filter((r) => !isPublic(r) && isAdmin(r) && r.method === 'GET');
    const refused: string[] = [];
    for (const route of reads) {
      const answer = await requestFor(route, KEYS.ops.key);
      if (answer.status === 401 || answer.status === 403 || answer.status === null || answer.status >= 500) {
        refused.push(`${routeKey(route)}: ${answer.status}`);
      }
    }
    expect(refused).toEqual([]);
  });
});

describe('tenant isolation', () => {
  const A = KEYS.acme.key;
  const B = KEYS.other.key;
  let aBatches: string[];
  let bBatch: string;
  let artifactId: string;

  beforeAll(async () => {
    const profile = await call('POST', '/v1/profiles', KEYS.ops.key, { body: { id: 'p1', pool: 'default' } });
    expect(profile.status).toBe(201);
    aBatches = [];
    for (let i = 0; i < 3; i++) {
      const answer = await call('POST', '/v1/batches', A, { body: batchBody(2, { name: `A's batch ${i}` }) });
      expect(answer.status).toBe(202);
      aBatches.push(json<BatchView>(answer).id);
    }
    const answer = await call('POST', '/v1/batches', B, { body: batchBody(1, { name: "B's batch" }) });
    expect(answer.status).toBe(202);
    bBatch = json<BatchView>(answer).id;
    artifactId = await api.artifacts.put(PNG, {
      itemId: `${aBatches[0]}.0`,
      name: 'home',
      type: 'image/png',
    });
  });

  const batchRoutes = () =>
    api.routes.filter((r) => r.method !== 'HEAD' && /^\/v1\/batches\/:id(\/|$)/.test(r.path));

  it("answers 404 BATCH_NOT_FOUND to B on every route of each of A's batches, as for a batch that does not exist", async () => {
    const routes = batchRoutes();
    expect(routes.map(routeKey)).toEqual(
      expect.arrayContaining([
        'GET /v1/batches/:id',
        'GET /v1/batches/:id/items',
        'POST /v1/batches/:id/cancel',
      ]),
    );
    const seen: string[] = [];
    for (const id of [...aBatches, 'no-such-batch-1']) {
      for (const route of routes) {
        const answer = await call(route.method, fillPath(route.path, { id, index: '0' }), B);
        const problem = errorShapeProblem(answer.body);
        seen.push(`${routeKey(route)} ${answer.status} ${code(answer)}${problem ? ` ${problem}` : ''}`);
      }
    }
    expect(new Set(seen)).toEqual(new Set(routes.map((r) => `${routeKey(r)} 404 BATCH_NOT_FOUND`)));
    // B's cancel changed nothing: A still sees its batches queued, and reads them.
    for (const id of aBatches) {
      const mine = await call('GET', `/v1/batches/${id}`, A);
      expect([mine.status, json<BatchView>(mine).status]).toEqual([200, 'queued']);
      expect((await call('GET', `/v1/batches/${id}/items`, A)).status).toBe(200);
    }
  });

  it("lists none of A's batches to B (all pages), and only its own", async () => {
    const list = async (key: string) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const answer = await call(
          'GET',
          `/v1/batches?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          key,
        );
        expect(answer.status).toBe(200);
        const page = json<{ batches: BatchView[]; nextCursor: string | null }>(answer);
        ids.push(...page.batches.map((b) => b.id));
        cursor = page.nextCursor;
      } while (cursor);
      return ids;
    };
    const seenByB = await list(B);
    expect(seenByB.filter((id) => aBatches.includes(id))).toEqual([]);
    expect(seenByB).toEqual([bBatch]);
    expect((await list(A)).sort()).toEqual([...aBatches].sort());
    expect(await list(KEYS.ops.key)).toEqual(expect.arrayContaining([...aBatches, bBatch]));
  });

  it("answers 404 ARTIFACT_NOT_FOUND to B for A's artifact, as for one that does not exist; A gets the PNG", async () => {
    const theirs = await call('GET', `/v1/artifacts/${artifactId}`, B);
    const unknown = await call('GET', `/v1/artifacts/${'A'.repeat(22)}`, B);
    expect([theirs.status, code(theirs)]).toEqual([404, 'ARTIFACT_NOT_FOUND']);
    expect([unknown.status, code(unknown)]).toEqual([404, 'ARTIFACT_NOT_FOUND']);
    expect(theirs.body.replace(artifactId, 'ID')).toBe(unknown.body.replace('A'.repeat(22), 'ID'));
    const mine = await call('GET', `/v1/artifacts/${artifactId}`, A);
    expect([mine.status, mine.headers['content-type']]).toEqual([200, 'image/png']);
  });

  it("never answers B with A's batch through an Idempotency-Key A used", async () => {
    const headers = { 'idempotency-key': 'shared-idempotency-key-1' };
    const body = batchBody(1, { name: 'same body' });
    const first = await call('POST', '/v1/batches', A, { body, headers });
    const replay = await call('POST', '/v1/batches', A, { body, headers });
    const other = await call('POST', '/v1/batches', B, { body, headers });
    expect([first.status, replay.status, other.status]).toEqual([202, 202, 202]);
    expect(json<BatchView>(replay).id).toBe(json<BatchView>(first).id);
    expect(json<BatchView>(other).id).not.toBe(json<BatchView>(first).id);
    expect(json<BatchView>(other).owner).toBe('other');
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    // Another body under A's key is no conflict for B either (a 409 would tell B that A used it).
    const different = await call('POST', '/v1/batches', B, {
      body: batchBody(2),
      headers: { 'idempotency-key': 'a-only-key-2' },
    });
    await call('POST', '/v1/batches', A, {
      body: batchBody(1),
      headers: { 'idempotency-key': 'a-only-key-2' },
    });
    expect(different.status).toBe(202);
  });

  it("on the notifier: B cannot subscribe to A's batches and receives 0 of A's events while A receives them all", async () => {
    const a = await connectClient(notifier.port, A);
    const b = await connectClient(notifier.port, B);
    const ops = await connectClient(notifier.port, KEYS.ops.key);
    clients.push(a, b, ops);
    for (const id of aBatches) {
      expect(await ask(a.socket, 'subscribe', { batchId: id })).toEqual({ ok: true });
      for (const payload of [{ batchId: id }, { batchId: id, lastEventId: '0-0' }]) {
        expect(await ask(b.socket, 'subscribe', payload)).toEqual({
          ok: false,
          error: { code: 'BATCH_NOT_FOUND', message: `no batch "${id}" for this API key` },
        });
      }
    }
    expect(await ask(b.socket, 'subscribe', { all: true })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    expect(await ask(b.socket, 'subscribe', { batchId: bBatch })).toEqual({ ok: true });
    expect(await ask(ops.socket, 'subscribe', { all: true })).toEqual({ ok: true });

    const stream = new RedisEventStream(api.redis, api.prefix);
    const published: string[] = [];
    const publish = async (event: Omit<FleetEvent, 'id'>) => {
      const id = await stream.publish(event);
      published.push(id!);
      return id!;
    };
    let n = 0;
    for (const batchId of aBatches) {
      for (const type of ['item.started', 'item.completed', 'item.failed', 'batch.completed'] as const) {
        await publish({ type, batchId, itemId: `${batchId}.${n % 2}`, at: Date.now(), data: { n: n++ } });
      }
    }
    await publish({ type: 'profile.quarantined', profileId: 'p1', at: Date.now(), data: { reason: 'x' } });
    // B's own event last: once B has it, anything of A's published before would have reached B too.
    const last = await publish({
      type: 'item.completed',
      batchId: bBatch,
      itemId: `${bBatch}.0`,
      at: Date.now(),
      data: {},
    });
    await waitFor(
      'A gets its 12 events, B its own, ops everything',
      () =>
        a.events().length === 12 &&
        b.events().some((e) => e.id === last) &&
        ops.events().length === published.length,
    );
    await new Promise((resolve) => setTimeout(resolve, 200)); // and nothing more trickles in
    expect(b.events().map((e) => e.batchId)).toEqual([bBatch]);
    expect(b.received.filter((e) => JSON.stringify(e.payload).includes(aBatches[0]!))).toEqual([]);
    expect(b.received.some((e) => e.name.startsWith('profile.'))).toBe(false);
    expect(
      a
        .events()
        .map((e) => e.batchId)
        .sort(),
    ).toEqual(aBatches.flatMap((id) => [id, id, id, id]).sort());
    expect(a.events().some((e) => e.batchId === bBatch)).toBe(false);

    // A replay asked for by B after the fact sends nothing of A's either.
    const before = b.received.length;
    expect(await ask(b.socket, 'subscribe', { batchId: aBatches[1], lastEventId: '0-0' })).toMatchObject({
      ok: false,
      error: { code: 'BATCH_NOT_FOUND' },
    });
    expect(b.received.length).toBe(before);
  });
});
