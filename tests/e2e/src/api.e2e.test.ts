/**
 * The API in front of a running fleet: a batch submitted over HTTP runs on the workers,
 * its items and screenshots are read back over HTTP by their owner only, and a running batch
 * cancelled over HTTP finishes no item after the cancel is acknowledged and gives its leases back.
 */
import { buildServer } from '@fleet/api';
import { ApiKeyRing } from '@fleet/auth';
import type { BatchView, FleetEvent, ItemView } from '@fleet/contracts';
import { createRedis, type FleetRedis, SecretBox, waitReady } from '@fleet/redis';
import { freePort, startTestProxy, testRedisUrl } from '@fleet/testing';
import { FileArtifactStore } from '@fleet/webdriver/artifacts';
import { E2E_WAIT, Fleet, POOL, waitFor } from './harness.js';

const ACME = 'acme-user-key-0123456789';
const OTHER = 'other-user-key-0123456789';
const auth = (key: string) => ({ authorization: `Bearer ${key}` });
const SECRET_KEY = SecretBox.generateKey();

let fleet: Fleet;
let app: Awaited<ReturnType<typeof buildServer>>;
let producer: FleetRedis;

beforeAll(async () => {
  fleet = await Fleet.start({ profiles: 3 });
  // Proxy passwords sealed at rest: the API and the workers share FLEET_SECRET_KEY.
  await fleet.startWorker({ workerConcurrency: 2, secretKey: SECRET_KEY });
  await fleet.startWorker({ workerConcurrency: 2, secretKey: SECRET_KEY });
  producer = createRedis(testRedisUrl(), { role: 'producer' });
  await waitReady(producer);
  app = await buildServer({
    settings: {
      prefix: fleet.prefix,
      maxBatchItems: 1000,
      bodyLimitBytes: 1024 * 1024,
      rateLimitPerMinute: 0,
      itemAttempts: 2,
      itemBackoffMs: 200,
      resultRetentionSec: 3600,
    },
    redis: producer,
    queue: fleet.queue,
    keys: ApiKeyRing.fromEntries([
      { name: 'acme', role: 'user', key: ACME },
      { name: 'other', role: 'user', key: OTHER },
    ]),
    artifacts: new FileArtifactStore(fleet.settings().artifactsDir),
    secretBox: SecretBox.fromSetting(SECRET_KEY),
  });
});
afterAll(async () => {
  await app?.close();
  producer?.disconnect();
  await fleet?.close();
});

const get = async <T>(url: string, key = ACME): Promise<T> =>
  JSON.parse((await app.inject({ url, headers: auth(key) })).body) as T;

/** Every value under the fleet's prefix (hashes, strings, streams, lists) as one text. */
async function redisText(): Promise<string> {
  const values: string[] = [];
  for (const key of await fleet.redis.keys(`${fleet.prefix}:*`)) {
    const type = await fleet.redis.type(key);
    if (type === 'hash') values.push(JSON.stringify(await fleet.redis.hgetall(key)));
    else if (type === 'string') values.push((await fleet.redis.get(key)) ?? '');
    else if (type === 'stream') values.push(JSON.stringify(await fleet.redis.xrange(key, '-', '+')));
    else if (type === 'list') values.push((await fleet.redis.lrange(key, 0, -1)).join(' '));
  }
  return values.join('\n');
}

it('runs a batch submitted over HTTP; its items and screenshots are read back by their owner only', async () => {
  const submit = await app.inject({
    method: 'POST',
    url: '/v1/batches',
    headers: auth(ACME),
    payload: {
      name: 'api e2e',
      pool: POOL,
      steps: [
        { goto: `${fleet.site.url}/?n={{n}}` },
        { extract: { name: 'heading', selector: 'h1' } },
        { screenshot: { name: 'page' } },
      ],
      items: [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }],
    },
  });
  expect(submit.statusCode).toBe(202);
  const { id } = JSON.parse(submit.body) as BatchView;
  const done = await waitFor(
    'the batch to complete',
    async () => {
      const view = await get<BatchView>(`/v1/batches/${id}`);
      return view.status === 'completed' ? view : undefined;
    },
    E2E_WAIT,
  );
  expect(done).toMatchObject({ total: 4, completed: 4, failed: 0 });
  expect(done.finishedAt).toBeDefined();

  const { items } = await get<{ items: ItemView[] }>(`/v1/batches/${id}/items`);
  expect(items.map((i) => i.state)).toEqual(['completed', 'completed', 'completed', 'completed']);
  for (const item of items) {
    expect(item.result?.data.heading).toEqual(expect.any(String));
    expect(item.profileId).toEqual(expect.any(String));
    expect(item.attempts).toBe(1);
  }
  const artifactId = items[0]!.result!.artifacts.page!;
  const png = await app.inject({ url: `/v1/artifacts/${artifactId}`, headers: auth(ACME) });
  expect(png.statusCode).toBe(200);
  expect(png.headers['content-type']).toBe('image/png');
  expect(png.rawPayload.subarray(1, 4).toString()).toBe('PNG');
  expect((await app.inject({ url: `/v1/artifacts/${artifactId}`, headers: auth(OTHER) })).statusCode).toBe(
    404,
  );
  expect((await app.inject({ url: `/v1/batches/${id}/items`, headers: auth(OTHER) })).statusCode).toBe(404);
});

it("a failed item's evidence is served by the API: the first 3 of a kind in full, the rest counted", async () => {
  const id = await submitBatch({
    pool: POOL,
    steps: [
      { goto: `${fleet.site.url}/talk?n={{n}}` },
      { waitFor: { selector: '#missing-{{n}}', timeoutMs: 500 } },
    ],
    items: [1, 2, 3, 4, 5].map((n) => ({ n })),
    options: { attempts: 1 },
  });
  await finished(id);
  const items = await Promise.all(
    [0, 1, 2, 3, 4].map((index) => get<ItemView>(`/v1/batches/${id}/items/${index}`)),
  );
  for (const item of items) {
    expect(item.error).toMatchObject({ code: 'SELECTOR_NOT_FOUND', step: 1, path: 'steps[1]' });
    expect(item.error?.evidence?.url).toMatch(/\/talk\?n=\d$/);
  }
  const full = items.filter((item) => !item.error?.evidence?.omitted);
  expect(full).toHaveLength(3);
  for (const item of items.filter((i) => i.error?.evidence?.omitted)) {
    expect(item.links?.evidence).toEqual({});
    expect(item.error?.evidence?.screenshot).toBeUndefined();
  }
  const links = full[0]!.links!.evidence!;
  const shot = await app.inject({ url: links.screenshot!, headers: auth(ACME) });
  expect(shot.headers['content-type']).toBe('image/png');
  const page = await app.inject({ url: links.html!, headers: auth(ACME) });
  expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(page.headers['content-disposition']).toMatch(/^attachment/);
  expect(page.body).toContain('<h1 id="heading">Talk</h1>');
  const lines = await app.inject({ url: links.console!, headers: auth(ACME) });
  expect(lines.headers['content-type']).toBe('text/plain; charset=utf-8');
  expect(lines.body).toContain('"fixture says hello"');
  expect(lines.body).toMatch(/SEVERE console-api .*"fixture trouble" 7/);
  expect((await app.inject({ url: links.console!, headers: auth(OTHER) })).statusCode).toBe(404);
  const errors = await get<{ errors: { code: string; path: string; count: number; withEvidence: number }[] }>(
    `/v1/batches/${id}/errors`,
  );
  expect(errors.errors).toEqual([
    expect.objectContaining({ code: 'SELECTOR_NOT_FOUND', path: 'steps[1]', count: 5, withEvidence: 3 }),
  ]);
});

it('uploads a batch file on a worker: the page sees its name and size; the bytes stay out of jobs, results and events', async () => {
  const content = Buffer.from('order,total\n1001,123.40\n');
  const file = { name: 'receipt', filename: 'receipt.csv', type: 'text/csv' };
  const id = await submitBatch({
    pool: POOL,
    steps: [
      { goto: `${fleet.site.url}/upload` },
      { upload: { selector: '#file', file: 'receipt' } },
      { waitForText: { selector: '#file-info', text: 'receipt.csv' } },
      { extract: { name: 'file', selector: '#file-info' } },
    ],
    items: [{}, {}],
    files: [{ ...file, contentBase64: content.toString('base64') }],
  });
  const done = await finished(id);
  const { items } = await get<{ items: ItemView[] }>(`/v1/batches/${id}/items`);
  expect([done.completed, items.map((i) => i.result?.data.file ?? i.error)]).toEqual([
    2,
    [`receipt.csv|${content.byteLength}|text/csv`, `receipt.csv|${content.byteLength}|text/csv`],
  ]);
  // Nowhere in Redis (jobs, results, events): only the artifact id travels.
  const encoded = content.toString('base64');
  const stored = await redisText();
  expect(stored).toContain(id);
  expect(stored).not.toContain(encoded);
  expect(stored).not.toContain('1001,123.40');
});

it('cancels a running batch: no item finishes after the cancel is acknowledged, leases come back', async () => {
  const submit = await app.inject({
    method: 'POST',
    url: '/v1/batches',
    headers: auth(ACME),
    payload: {
      pool: POOL,
      steps: [{ goto: `${fleet.site.url}/slow?ms={{ms}}` }, { sleep: 20_000 }],
      items: Array.from({ length: 10 }, () => ({ ms: 10 })),
      options: { attempts: 1 },
    },
  });
  const { id } = JSON.parse(submit.body) as BatchView;
  await waitFor(
    'two items running',
    async () => {
      const { items } = await get<{ items: ItemView[] }>(`/v1/batches/${id}/items?state=running`);
      return items.length >= 2 ? items : undefined;
    },
    E2E_WAIT,
  );

  const cancel = await app.inject({ method: 'POST', url: `/v1/batches/${id}/cancel`, headers: auth(ACME) });
  expect(cancel.statusCode).toBe(200);
  const acked = JSON.parse(cancel.body) as BatchView & { removed: number };
  expect(acked.status).toBe('cancelled');
  expect(acked.removed).toBeGreaterThan(0);

  // Every lease comes back (the running items were aborted, not left to finish their 20 s sleep).
  await waitFor(
    'every lease to come back',
    async () => {
      const counts = await fleet.profiles.counts(POOL);
      return counts.leased === 0 ? counts : undefined;
    },
    E2E_WAIT,
  );
  const after = await get<BatchView>(`/v1/batches/${id}`);
  expect(after).toMatchObject({ status: 'cancelled', completed: acked.completed, failed: acked.failed });
  const { items } = await get<{ items: ItemView[] }>(`/v1/batches/${id}/items`);
  expect(items.filter((i) => i.state === 'cancelled')).toHaveLength(10 - acked.completed - acked.failed);
  const events: FleetEvent[] = await fleet.eventsOf(id);
  const cancelledAt = events.findIndex((e) => e.type === 'batch.cancelled');
  expect(cancelledAt).toBeGreaterThanOrEqual(0);
  expect(
    events.slice(cancelledAt + 1).filter((e) => e.type === 'item.completed' || e.type === 'item.failed'),
  ).toEqual([]);
});

const submitBatch = async (payload: object) => {
  const res = await app.inject({ method: 'POST', url: '/v1/batches', headers: auth(ACME), payload });
  expect(res.statusCode).toBe(202);
  return (JSON.parse(res.body) as BatchView).id;
};
const finished = (id: string) =>
  waitFor(
    `batch ${id} to finish`,
    async () => {
      const view = await get<BatchView>(`/v1/batches/${id}`);
      return view.status === 'completed' ? view : undefined;
    },
    E2E_WAIT,
  );

it("a batch proxy carries every item of that batch (with its credentials); later batches use the profiles' own", async () => {
  const proxy = await startTestProxy({ username: 'fleet', password: 'batch-proxy-pass' });
  try {
    const steps = [
      { goto: `${fleet.site.url}/?via=proxy&n={{n}}` },
      { extract: { name: 'h', selector: 'h1' } },
    ];
    const id = await submitBatch({
      pool: POOL,
      steps,
      items: [{ n: 1 }, { n: 2 }, { n: 3 }],
      options: {
        proxy: {
          type: 'http',
          host: proxy.host,
          port: proxy.port,
          username: 'fleet',
          password: 'batch-proxy-pass',
        },
      },
    });
    expect(await finished(id)).toMatchObject({ completed: 3, failed: 0 });
    const viaProxy = proxy.requests.filter((r) => r.target.includes('via=proxy') && r.status === 200);
    expect(viaProxy).toHaveLength(3);
    const events = await fleet.eventsOf(id);
    expect(JSON.stringify(events)).not.toContain('batch-proxy-pass');
    // Nowhere in Redis either (batch record, jobs, results, events): the password is sealed.
    expect(await redisText()).not.toContain('batch-proxy-pass');

    // The next batch has no proxy: no warm browser started with the batch proxy may serve it.
    const seen = proxy.requests.length;
    const plain = await submitBatch({
      pool: POOL,
      steps: [{ goto: `${fleet.site.url}/?plain={{n}}` }],
      items: [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }],
    });
    expect(await finished(plain)).toMatchObject({ completed: 4 });
    // (Idle warm browsers started with the batch proxy may still send Chromium's own background
    // requests through it; what matters is that no page of the plain batch went there.)
    expect(proxy.requests.slice(seen).filter((r) => r.target.includes('plain='))).toEqual([]);
    expect(fleet.site.visits.filter((v) => v.path.includes('plain='))).toHaveLength(4);
  } finally {
    await proxy.close();
  }
});

it("a dead batch proxy fails that batch's items (BATCH_PROXY_FAILED) and quarantines no profile", async () => {
  const closed = await freePort();
  const id = await submitBatch({
    pool: POOL,
    steps: [{ goto: `${fleet.site.url}/?dead={{n}}` }],
    items: [{ n: 1 }, { n: 2 }],
    options: { attempts: 2, backoffMs: 100, proxy: { type: 'http', host: '127.0.0.1', port: closed } },
  });
  const view = await finished(id);
  expect(view).toMatchObject({ completed: 0, failed: 2 });
  const { items } = await get<{ items: ItemView[] }>(`/v1/batches/${id}/items`);
  for (const item of items) expect(item.error?.code).toBe('BATCH_PROXY_FAILED');
  const counts = await fleet.profiles.counts(POOL);
  expect(counts.quarantined).toBe(0);
});
