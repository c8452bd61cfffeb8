export { ATTR, type ItemSpan, startItemSpan } from './item-trace.js';
export {
  type Attributes,
  type Context,
  context,
  fleetTracer,
  inSpan,
  type Link,
  markFailed,
  NOT_RECORDING,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  trace,
  tracingEnabled,
  untraced,
} from './spans.js';
export { closingTracing, startTracing, type Tracing, type TracingEnv } from './start-tracing.js';
export { contextFrom, hasSpan, injectTraceHeaders, traceparentOf } from './trace-context.js';
