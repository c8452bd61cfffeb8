/**
 * OpenTelemetry end to end (README "Tracing"): launcher, API and a worker as real processes with
 * the standard OTEL_* variables pointing at a real OTLP/HTTP receiver on loopback; a batch
 * submitted over HTTP runs in real Chromium. One item's trace is checked span by span (names,
 * parents, attributes, the launcher continuing the worker's trace, the batch's links), a retried
 * item shows one attempt span per try under the same trace, log lines carry the trace id, and no
 * secret is in any span.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CreateBatchInput, FleetClient } from '@fleet/client';
import { MultiloginClient } from '@fleet/multilogin';
import { createRedis, RedisProfileStore } from '@fleet/redis';
import {
  type CollectedSpan,
  deletePrefix,
  type FixtureSite,
  freePort,
  type OtlpCollector,
  ProcessFleet,
  startFixtureSite,
  startOtlpCollector,
  TEST_KEYS,
  testPrefix,
  testRedisEnv,
  testRedisTarget,
  waitFor,
} from '@fleet/testing';

const EMAIL = 'otel@fleet.local';
const PASSWORD = 'otel-launcher-password-secret';
const prefix = testPrefix('otel');
const dir = mkdtempSync(join(tmpdir(), 'fleet-otel-'));
const redis = createRedis(testRedisTarget(), { role: 'worker' });
let collector: OtlpCollector;
let site: FixtureSite;
let fleet: ProcessFleet;
let closedPort: number;

beforeAll(async () => {
  collector = await startOtlpCollector();
  site = await startFixtureSite();
  closedPort = await freePort(); // nothing listens: a navigation there fails, retryable
  fleet = new ProcessFleet({
    dir,
    redisUrl: '',
    redisEnv: testRedisEnv(),
    prefix,
    credentials: { email: EMAIL, password: PASSWORD },
    apiKeys: [TEST_KEYS.ops],
    allowedTargets: `127.0.0.1:${site.port},127.0.0.1:${closedPort}`,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '200',
    },
    readyMs: 120_000,
  });
  await fleet.start('launcher');
  const client = new MultiloginClient(fleet.launcherAccount());
  const [folder] = await client.listFolders();
  const id = await client.createProfile({ name: 'otel-0', folderId: folder!.id });
  await new RedisProfileStore(redis, prefix).register({
    id,
    pool: 'default',
    providerIds: { folderId: folder!.id },
  });
  await Promise.all([
    fleet.start('api', { env: { API_RATE_LIMIT_PER_MINUTE: '0' } }),
    fleet.start('worker', { env: { WORKER_CONCURRENCY: '1', WARM_IDLE_MS: '1000' } }),
  ]);
}, 240_000);

afterAll(async () => {
  await fleet?.stop({ worker: 30_000, launcher: 30_000 });
  await fleet?.kill();
  await collector?.close();
  await site?.close();
  await deletePrefix(redis, prefix);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

/** The API through the SDK, as any caller reaches it. */
const api = () => new FleetClient({ apiUrl: fleet.url('api'), apiKey: TEST_KEYS.ops.key });

async function submit(steps: unknown[], options: object = {}): Promise<string> {
  const batch = await api().submit({ pool: 'default', steps, items: [{}], options } as CreateBatchInput);
  return batch.id;
}

async function finished(batchId: string): Promise<void> {
  const batch = await api().wait(batchId, { pollMs: 200, signal: AbortSignal.timeout(120_000) });
  expect(batch.status).toBe('completed');
}

const named = (spans: CollectedSpan[], name: string) => spans.filter((s) => s.name === name);
const one = (spans: CollectedSpan[], name: string): CollectedSpan => {
  const found = named(spans, name);
  if (found.length !== 1) throw new Error(`${found.length} spans named ${name}: ${spans.map((s) => s.name)}`);
  return found[0]!;
};
/** Whether `span` is under `ancestor` (through any number of parents in `spans`). */
function isUnder(span: CollectedSpan, ancestor: CollectedSpan, spans: CollectedSpan[]): boolean {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  for (let p = byId.get(span.parentSpanId); p; p = byId.get(p.parentSpanId)) {
    if (p.spanId === ancestor.spanId) return true;
  }
  return false;
}

/** The trace as an indented outline (`E2E_TRACE=1` prints it: what a tracing UI would show). */
function outline(spans: CollectedSpan[]): string {
  const ids = new Set(spans.map((s) => s.spanId));
  const lines: string[] = [];
  const walk = (parent: string, depth: number) => {
    for (const s of spans
      .filter((x) => x.parentSpanId === parent)
      .sort((a, b) => Number(a.startNs - b.startNs))) {
      const ms = Number(s.endNs - s.startNs) / 1e6;
      lines.push(`${'  '.repeat(depth)}${s.name} [${s.service}] ${ms.toFixed(1)} ms`);
      walk(s.spanId, depth + 1);
    }
  };
  for (const r of spans.filter((s) => !ids.has(s.parentSpanId))) {
    lines.push(`${r.name} [${r.service}]`);
    walk(r.spanId, 1);
  }
  return lines.join('\n');
}

/** The item's trace once its attempt(s) and the launcher's spans are in. */
async function itemTrace(batchId: string, attempts: number): Promise<CollectedSpan[]> {
  const root = await waitFor('the item.enqueue span', () =>
    collector.spans.find((s) => s.name === 'item.enqueue' && s.attributes['fleet.batch.id'] === batchId),
  );
  return waitFor(
    `${attempts} attempt span(s) in the item's trace`,
    () => {
      const spans = collector.spans.filter((s) => s.traceId === root.traceId);
      return (
        named(spans, 'item.attempt').length >= attempts && named(spans, 'item.record').length >= 1 && spans
      );
    },
    { timeoutMs: 20_000 },
  );
}

it('traces one item from the API submit through queue, lease, launcher, browser, steps and record', async () => {
  const batchId = await submit([{ goto: `${site.url}/` }, { extract: { name: 'h', selector: '#heading' } }]);
  await finished(batchId);
  const spans = await itemTrace(batchId, 1);
  if (process.env.E2E_TRACE) process.stdout.write(`${outline(spans)}\n`);

  const root = one(spans, 'item.enqueue');
  expect(root).toMatchObject({ service: 'fleet-api', parentSpanId: '', kind: 4 });
  expect(root.attributes).toMatchObject({
    'fleet.batch.id': batchId,
    'fleet.item.index': 0,
    'fleet.item.id': `${batchId}.0`,
  });
  // The batch's submit span is in a trace of its own, linked both ways with the item's.
  const submitSpan = await waitFor('batch.submit', () =>
    collector.spans.find((s) => s.name === 'batch.submit' && s.attributes['fleet.batch.id'] === batchId),
  );
  expect(submitSpan.traceId).not.toBe(root.traceId);
  expect(root.links).toEqual([{ traceId: submitSpan.traceId, spanId: submitSpan.spanId }]);
  expect(submitSpan.links).toContainEqual({ traceId: root.traceId, spanId: root.spanId });

  const wait = one(spans, 'item.queue_wait');
  const attempt = one(spans, 'item.attempt');
  for (const s of [wait, attempt])
    expect(s).toMatchObject({ service: 'fleet-worker', parentSpanId: root.spanId });
  expect(wait.endNs).toBeLessThanOrEqual(attempt.startNs);
  expect(attempt.attributes).toMatchObject({
    'fleet.attempt': 1,
    'fleet.outcome': 'completed',
    'fleet.batch.id': batchId,
  });

  // Everything the attempt did is under it, in order of the item's path (DESIGN.md section 3).
  const lease = one(spans, 'lease.acquire');
  const start = one(spans, 'browser.start');
  const steps = spans.filter((s) => s.name.startsWith('step '));
  const record = one(spans, 'item.record');
  for (const s of [lease, one(spans, 'item.claim'), one(spans, 'profile.prepare'), start, ...steps, record]) {
    expect(isUnder(s, attempt, spans)).toBe(true);
  }
  expect(lease.attributes).toMatchObject({ 'fleet.pool': 'default', 'fleet.profile.id': expect.any(String) });
  expect(steps.map((s) => [s.name, s.attributes['fleet.step.path']])).toEqual([
    ['step goto', 'steps[0]'],
    ['step extract', 'steps[1]'],
  ]);
  expect(record.attributes).toMatchObject({
    'fleet.item.state': 'completed',
    'fleet.record.status': 'recorded',
  });
  expect(
    lease.endNs <= start.startNs && start.endNs <= steps[0]!.startNs && steps[1]!.endNs <= record.startNs,
  ).toBe(true);

  // Provider calls are client spans under the start; the launcher continues each in its process.
  const calls = spans.filter((s) => s.kind === 3 && s.name.startsWith('provider '));
  const startCall = calls.find((s) => s.name === 'provider startProfile');
  expect(startCall && isUnder(startCall, start, spans)).toBe(true);
  const launcherStart = spans.find(
    (s) => s.service === 'fleet-launcher' && s.parentSpanId === startCall!.spanId,
  );
  expect(launcherStart).toMatchObject({ kind: 2, name: expect.stringMatching(/^launcher GET .*\/start$/) });

  // Log lines inside the attempt carry its trace id.
  const workerLog = readFileSync(join(fleet.logDir, 'worker.log'), 'utf8');
  const recorded = workerLog
    .split('\n')
    .filter((l) => l.includes('"item recorded"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(recorded).toContainEqual(
    expect.objectContaining({ trace_id: root.traceId, span_id: attempt.spanId }),
  );
}, 180_000);

it('gives a retried item one attempt span per try under the same trace', async () => {
  const batchId = await submit([{ goto: `http://127.0.0.1:${closedPort}/` }], {
    attempts: 2,
    backoffMs: 200,
  });
  await finished(batchId);
  const spans = await itemTrace(batchId, 2);
  if (process.env.E2E_TRACE) process.stdout.write(`${outline(spans)}\n`);
  const root = one(spans, 'item.enqueue');
  const attempts = named(spans, 'item.attempt').sort((a, b) => Number(a.startNs - b.startNs));
  expect(
    attempts.map((a) => [a.parentSpanId, a.attributes['fleet.attempt'], a.attributes['fleet.outcome']]),
  ).toEqual([
    [root.spanId, 1, 'retry'],
    [root.spanId, 2, 'failed'],
  ]);
  expect(attempts.every((a) => a.statusCode === 2)).toBe(true);
  expect(attempts[0]!.attributes['error.type']).toBe('NAVIGATION_FAILED');
  const gotos = named(spans, 'step goto');
  expect(gotos).toHaveLength(2);
  expect(gotos.map((g) => attempts.findIndex((a) => isUnder(g, a, spans)))).toEqual([0, 1]);
  expect(gotos.every((g) => g.attributes['error.type'] === 'NAVIGATION_FAILED')).toBe(true);
  expect(named(spans, 'item.queue_wait')).toHaveLength(1);
}, 180_000);

it('puts no secret in any span', async () => {
  const everything = JSON.stringify(collector.spans, (_k, v) => (typeof v === 'bigint' ? `${v}` : v));
  expect(collector.spans.length).toBeGreaterThan(20);
  for (const secret of [PASSWORD, TEST_KEYS.ops.key, 'Bearer', 'authorization']) {
    expect(everything).not.toContain(secret);
  }
  expect(collector.requests.every((r) => r.url === '/v1/traces' && r.contentType.includes('json'))).toBe(
    true,
  );
});
