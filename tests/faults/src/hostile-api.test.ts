/**
 * Hostile input to the API: a generated corpus of malformed and oversized requests — built
 * from one valid request per registered route by a seeded PRNG — sent over real HTTP (node:http
 * and raw sockets, so Node's parser and Fastify's routing and body parsing all take part) to the
 * API listening on a port. No answer may be a 5xx, every 4xx with a body has the API's error
 * shape, nothing the server should answer goes unanswered, and afterwards the process still
 * serves /health and a valid submit. `FAULTS_SEED=<n>|random` draws another corpus.
 */
import type { BatchView } from '@fleet/contracts';
import { batchBody, bearer, KEYS, type ListeningApi, startListeningApi } from './support/api.js';
import { buildCorpus, type Scenario, type Shot } from './support/corpus/index.js';
import { type Answer, errorShapeProblem, httpSend, pool, rawSend } from './support/http.js';
import { Prng, runSeed } from './support/prng.js';
import { recordRow } from './support/table.js';

const SCENARIOS: Scenario[] = [
  'fields and types',
  'JSON and encodings',
  'paths, queries, methods, headers',
  'raw HTTP',
];
/** HTML pages for people that answer 4xx with the page itself (the login form says what was wrong). */
const HTML_PAGES = /^\/admin\/(login|logout)(\?|$)/;
/**
 * Bull Board's JSON API (admin only, behind the API's authentication) answers its own refusals in
 * the shape its UI translates (`{error: {key: "ERRORS.QUEUE_NOT_FOUND"}}`); the API's own errors
 * on those routes (401, 403, 413, ...) still have the API's shape.
 */
const BOARD_OWN_ERROR = (path: string, body: string) =>
  path.startsWith('/admin/queues/') && /^\{"error":\{"key":"ERRORS\.[A-Z_]+"/.test(body);

/** Problems grouped by what went wrong, with a count and the first few requests of each. */
function grouped(problems: { signature: string; example: string }[]): string[] {
  const groups = new Map<string, string[]>();
  for (const p of problems) groups.set(p.signature, [...(groups.get(p.signature) ?? []), p.example]);
  return [...groups].map(
    ([signature, examples]) =>
      `${examples.length}× ${signature}\n    e.g. ${examples.slice(0, 3).join('\n    e.g. ')}`,
  );
}

const seed = runSeed();
let api: ListeningApi;
let corpus: Shot[];
const results = new Map<number, Answer[]>();
const crashes = new Map<Scenario, number>();

async function send(shot: Shot): Promise<Answer[]> {
  if (shot.transport === 'raw') {
    const answers = await rawSend(api.port, shot.raw!, {
      timeoutMs: shot.timeoutMs ?? 2000,
      ...(shot.end ? { end: true } : {}),
    });
    return answers.length
      ? answers
      : [{ status: null, headers: {}, body: '', error: answers.error ?? 'closed', ms: 0 }];
  }
  return [
    await httpSend(api.port, {
      method: shot.method,
      path: shot.path,
      headers: shot.headers,
      ...(shot.body ? { body: shot.body } : {}),
      timeoutMs: shot.timeoutMs ?? 15_000,
    }),
  ];
}

async function healthy(): Promise<boolean> {
  const answer = await httpSend(api.port, { method: 'GET', path: '/health', timeoutMs: 5000 });
  return answer.status === 200 && api.app.server.listening;
}

const describeShot = (s: Shot, a?: Answer) =>
  `#${s.id} [${s.scenario}] ${s.kind} — ${s.transport === 'raw' ? 'raw socket' : `${s.method} ${s.path.slice(0, 80)}`} (${s.route})` +
  (a ? ` → ${a.status ?? a.error} ${a.body.slice(0, 160)}` : '');

beforeAll(async () => {
  api = await startListeningApi();
  await api.profiles.register({ id: 'p1', pool: 'default' });
  await api.profiles.register({ id: 'pv', pool: 'victims' });
  await api.profiles.register({ id: 'pv-gone', pool: 'victims' });
  const submit = async () => {
    const answer = await httpSend(api.port, {
      method: 'POST',
      path: '/v1/batches',
      headers: { ...bearer(KEYS.acme.key), 'content-type': 'application/json' },
      body: JSON.stringify(batchBody(2)),
    });
    expect(answer.status).toBe(202);
    return (JSON.parse(answer.body) as BatchView).id;
  };
  const batchId = await submit();
  const cancelBatchId = await submit();
  const artifactId = await api.artifacts.put(Buffer.from('89504e470d0a1a0a', 'hex'), {
    itemId: `${batchId}.0`,
    name: 'home',
    type: 'image/png',
  });
  corpus = buildCorpus(
    { routes: api.routes, batchId, cancelBatchId, artifactId, queueName: api.queue.name, port: api.port },
    new Prng(seed),
  );
  console.log(
    `hostile API corpus: seed ${seed} (FAULTS_SEED=${seed} draws it again), ${corpus.length} requests`,
  );
  for (const scenario of SCENARIOS) {
    const shots = corpus.filter((s) => s.scenario === scenario);
    const answers = await pool(shots, 16, send);
    shots.forEach((s, i) => {
      results.set(s.id, answers[i]!);
    });
    crashes.set(scenario, (await healthy()) ? 0 : 1);
  }
}, 120_000);

afterAll(async () => {
  for (const scenario of SCENARIOS) {
    const shots = corpus?.filter((s) => s.scenario === scenario) ?? [];
    const fiveXx = shots.filter((s) =>
      results.get(s.id)?.some((a) => a.status !== null && a.status >= 500),
    ).length;
    recordRow({
      ...(scenario === SCENARIOS[0]
        ? { note: `corpus seed ${seed} (FAULTS_SEED=<n>|random draws another)` }
        : {}),
      scenario: `hostile API: ${scenario}`,
      repetitions: shots.length,
      items: 0,
      fiveXx,
      crashes: crashes.get(scenario) ?? 0,
    });
  }
  await api?.close();
});

describe(`hostile input to the API (seed ${seed})`, () => {
  it('sends at least 500 generated requests, covering every route the API registered', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(500);
    const covered = new Set(corpus.map((s) => s.route));
    const missing = api.routes.filter((r) => r.method !== 'HEAD' && !covered.has(`${r.method} ${r.path}`));
    expect(missing).toEqual([]);
  });

  it('answers none of them with a 5xx', () => {
    const bad = corpus.flatMap((s) =>
      (results.get(s.id) ?? [])
        .filter((a) => a.status !== null && a.status >= 500)
        .map((a) => ({ signature: `${a.status} on ${s.route}`, example: describeShot(s, a) })),
    );
    expect(grouped(bad)).toEqual([]);
  });

  it('logs no error while answering them (a 500 or a failure the client never saw)', () => {
    const errors = api.logs
      .filter((line) => line.level >= 50)
      .map((line) => `${line.msg}: ${line.err?.message ?? ''}`);
    expect(errors).toEqual([]);
  });

  it('gives every 4xx with a body the error shape {error: {code, message, details}}', () => {
    const bad: { signature: string; example: string }[] = [];
    for (const s of corpus) {
      for (const a of results.get(s.id) ?? []) {
        if (a.status === null || a.status < 400 || a.status >= 500 || a.body === '' || s.method === 'HEAD')
          continue;
        const type = String(a.headers['content-type'] ?? '');
        if (type.startsWith('text/html') && HTML_PAGES.test(s.path)) continue;
        if (BOARD_OWN_ERROR(s.path, a.body)) continue;
        const problem = errorShapeProblem(a.body);
        if (problem)
          bad.push({
            signature: `${a.status} ${a.body.replace(/'[^']*'/g, "'…'").slice(0, 120)}`,
            example: describeShot(s),
          });
      }
    }
    expect(grouped(bad)).toEqual([]);
  });

  it('answers every request it can answer (only cut-off bodies and broken sockets may go unanswered)', () => {
    const unanswered = corpus
      .filter((s) => !s.mayGoUnanswered && (results.get(s.id) ?? []).every((a) => a.status === null))
      .map((s) => describeShot(s, results.get(s.id)?.[0]));
    expect(unanswered).toEqual([]);
  });

  it('never crashed: /health answered after every group, and it still takes a valid batch', async () => {
    expect([...crashes.values()].reduce((a, b) => a + b, 0)).toBe(0);
    expect(await healthy()).toBe(true);
    const ready = await httpSend(api.port, { method: 'GET', path: '/ready' });
    expect(ready.status).toBe(200);
    // The corpus may have revoked or restored keys: make sure acme is in, as a client would.
    await httpSend(api.port, {
      method: 'POST',
      path: '/v1/keys/acme/restore',
      headers: bearer(KEYS.ops.key),
    });
    const submit = await httpSend(api.port, {
      method: 'POST',
      path: '/v1/batches',
      headers: { ...bearer(KEYS.acme.key), 'content-type': 'application/json' },
      body: JSON.stringify(batchBody(3, { name: 'after the storm' })),
    });
    expect(submit.status).toBe(202);
    const view = JSON.parse(submit.body) as BatchView;
    const read = await httpSend(api.port, {
      method: 'GET',
      path: view.links.self,
      headers: bearer(KEYS.acme.key),
    });
    expect([read.status, (JSON.parse(read.body) as BatchView).total]).toEqual([200, 3]);
  });
});
