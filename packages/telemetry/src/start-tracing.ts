import { propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { setTracingEnabled } from './spans.js';

/** What `startTracing` did: `enabled` false means the OpenTelemetry API stays a no-op. */
export interface Tracing {
  enabled: boolean;
  /** Why tracing is off (for one log line at start), or where spans go when it is on. */
  reason: string;
  /** Flushes spans not yet exported and stops the SDK; resolves at once when tracing is off. */
  shutdown(): Promise<void>;
}

/** The standard variables Fleet looks at to decide whether to start the SDK (README "Tracing"). */
export type TracingEnv = Partial<Record<string, string | undefined>>;

/**
 * Starts OpenTelemetry tracing for this process, configured only by the standard `OTEL_*`
 * variables. Off (no SDK, no exporter, the API's no-op tracer) unless an OTLP endpoint is set
 * (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT`), and off with
 * `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`.
 *
 * This is the one place in Fleet that reads `process.env` outside an app's config (DESIGN.md
 * section 1): the OTEL_* variables are a cross-vendor standard that the SDK itself reads
 * (sampler, span limits, batch processor, exporter endpoint, headers and timeout), so giving them
 * a convict schema of our own would duplicate, and drift from, the SDK's parsing.
 */
export function startTracing(serviceName: string, env: TracingEnv = process.env): Tracing {
  const off = offReason(env);
  if (off) return { enabled: false, reason: off, shutdown: async () => {} };
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (envDetector) win over the app's own name.
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(env) }))],
  });
  // W3C trace context only: `traceparent` is what jobs and launcher requests carry.
  provider.register({ propagator: new W3CTraceContextPropagator() });
  setTracingEnabled(true);
  return {
    enabled: true,
    reason: `OTLP/HTTP to ${tracesUrl(env)}`,
    shutdown: async () => {
      setTracingEnabled(false);
      await provider.shutdown().catch(() => undefined);
      trace.disable();
      propagation.disable();
    },
  };
}

/**
 * Where spans go, as the OTLP spec says: the signal's own endpoint as given, else the general one
 * plus `v1/traces`. Passed to the exporter (which would read the same from process.env) so the
 * variables this function was given decide, which tests rely on.
 */
function tracesUrl(env: TracingEnv): string {
  const own = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (own) return own;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '';
  return `${base.endsWith('/') ? base : `${base}/`}v1/traces`;
}

function offReason(env: TracingEnv): string | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return 'OTEL_SDK_DISABLED=true';
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporter !== undefined && exporter !== '' && exporter !== 'otlp') {
    return `OTEL_TRACES_EXPORTER=${exporter} (only otlp is built in)`;
  }
  if (!env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT && !env.OTEL_EXPORTER_OTLP_ENDPOINT) {
    return 'no OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
  }
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL;
  if (protocol?.trim().toLowerCase() === 'grpc') {
    // The HTTP exporter is the one installed (it sends JSON, which collectors take on /v1/traces
    // beside protobuf); a gRPC endpoint would refuse it, so say so instead of failing each export.
    return 'OTEL_EXPORTER_OTLP_PROTOCOL=grpc (only OTLP over HTTP is built in)';
  }
  return undefined;
}

/**
 * The app, with its tracing shut down after it closes (so the spans of its last items and of its
 * shutdown are exported before the process exits).
 */
export function closingTracing<T extends { close(): Promise<void> }>(app: T, tracing: Tracing): T {
  const close = app.close.bind(app);
  return Object.assign(app, {
    close: async () => {
      try {
        await close();
      } finally {
        await tracing.shutdown();
      }
    },
  });
}
