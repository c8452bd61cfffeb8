import { type Context, context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';

/**
 * The W3C `traceparent` of a context's span (`00-<trace>-<span>-<flags>`), to put in a job's data;
 * undefined when tracing is off (the no-op propagator writes nothing) or no span is active.
 */
export function traceparentOf(ctx: Context = context.active()): string | undefined {
  const carrier: { traceparent?: string } = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent;
}

/** The context a job's or request's `traceparent` continues (the root context when absent). */
export function contextFrom(traceparent: string | undefined): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

/** Adds the active trace's `traceparent` to outgoing HTTP headers (nothing when tracing is off). */
export function injectTraceHeaders(headers: Record<string, string>, ctx: Context = context.active()): void {
  propagation.inject(ctx, headers);
}

/** Whether a context holds a span worth continuing (a valid remote or local span context). */
export function hasSpan(ctx: Context): boolean {
  const span = trace.getSpan(ctx);
  return span !== undefined && trace.isSpanContextValid(span.spanContext());
}
