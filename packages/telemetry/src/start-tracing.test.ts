import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type OtlpCollector, startOtlpCollector, waitFor } from '@fleet/testing';
import { inSpan } from './spans.js';
import { startTracing } from './start-tracing.js';
import { injectTraceHeaders, traceparentOf } from './trace-context.js';

const run = promisify(execFile);
const FIXTURE = new URL('./fixtures/traced-process.ts', `file://${__filename}`).pathname;

/** Runs the traced fixture process with these variables (and no OTEL_* from this test's own). */
async function traced(env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  const { stdout } = await run(process.execPath, ['--import', 'tsx', FIXTURE], { env: { ...clean, ...env } });
  const lines = stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  // The summary is the line with `sdkRegistered`: the logger writes asynchronously, so its lines
  // may come before or after it.
  const at = lines.findIndex((l) => 'sdkRegistered' in l);
  if (at < 0) throw new Error(`the traced process printed no summary line:\n${stdout}`);
  const summary = lines.splice(at, 1)[0] as {
    enabled: boolean;
    reason: string;
    outer?: string;
    headers: object;
    sdkRegistered: boolean;
  };
  return { summary, logs: lines };
}

describe('startTracing', () => {
  let collector: OtlpCollector;
  beforeAll(async () => {
    collector = await startOtlpCollector();
  });
  afterAll(() => collector.close());

  it('with no OTEL_* set starts no SDK: no-op spans, no traceparent, no trace ids, nothing sent', async () => {
    const { summary, logs } = await traced({});
    expect(summary).toMatchObject({ enabled: false, sdkRegistered: false, headers: {} });
    expect(summary.outer).toBeUndefined();
    expect(summary.reason).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(logs[0]).toMatchObject({ msg: 'in the outer span' });
    expect(logs[0]).not.toHaveProperty('trace_id');
    expect(collector.requests).toHaveLength(0);
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_SDK_DISABLED: 'true' }, /OTEL_SDK_DISABLED/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_TRACES_EXPORTER: 'none' }, /none/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, /grpc/],
  ])('stays off with %j', async (env, reason) => {
    const tracing = startTracing('fleet-test', env);
    expect(tracing).toMatchObject({ enabled: false, reason: expect.stringMatching(reason) });
    await inSpan('nothing', {}, async (span) => {
      expect(span.isRecording()).toBe(false);
      expect(traceparentOf()).toBeUndefined();
      const headers: Record<string, string> = {};
      injectTraceHeaders(headers);
      expect(headers).toEqual({});
    });
  });

  it('exports spans over OTLP/HTTP, continues a traceparent and puts trace ids on log lines', async () => {
    const { summary, logs } = await traced({
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
      OTEL_SERVICE_NAME: 'fleet-renamed',
    });
    expect(summary).toMatchObject({ enabled: true, sdkRegistered: true });
    const [, traceId, spanId] = (summary.outer ?? '').split('-');
    expect(summary.outer).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    await waitFor('four spans', () => collector.spans.length >= 4);

    const byName = Object.fromEntries(collector.spans.map((s) => [s.name, s]));
    expect(byName.outer).toMatchObject({ service: 'fleet-renamed', traceId, spanId, parentSpanId: '' });
    expect(byName.outer?.attributes['fleet.batch_id']).toBe('b1');
    expect(byName.continued).toMatchObject({ traceId, parentSpanId: spanId });
    expect((summary.headers as { traceparent?: string }).traceparent).toContain(traceId);
    expect(byName.failing).toMatchObject({ statusCode: 2 });
    expect(byName.failing?.attributes['error.type']).toBe('PROVIDER_TIMEOUT');
    expect(byName['put-back']).toMatchObject({ statusCode: 0 });
    expect(byName['put-back']?.attributes).not.toHaveProperty('error.type');
    expect(JSON.stringify(collector.spans, (_k, v) => (typeof v === 'bigint' ? `${v}` : v))).not.toContain(
      'must stay out',
    );
    expect(logs[0]).toMatchObject({ msg: 'in the outer span', trace_id: traceId, span_id: spanId });
    expect(collector.requests.every((r) => r.url === '/v1/traces')).toBe(true);
  });
});
