import {
  type Attributes,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  type Link,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';

let enabled = false;
/** A span that records nothing, handed to `inSpan`'s work while tracing is off. */
export const NOT_RECORDING: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** Set by `startTracing` (and its shutdown): whether Fleet's spans are made at all. */
export function setTracingEnabled(on: boolean): void {
  enabled = on;
}

/** Whether `startTracing` started the SDK in this process. */
export function tracingEnabled(): boolean {
  return enabled;
}

/** Every Fleet span comes from this tracer: a no-op one until `startTracing` registers the SDK. */
export function fleetTracer() {
  return trace.getTracer('fleet');
}

export interface SpanOptions {
  attributes?: Attributes;
  kind?: SpanKind;
  links?: Link[];
  /** The parent; the active context when absent. */
  parent?: Context;
  /** A new trace, whatever is active (an item's own trace at submit). */
  root?: boolean;
  /** Throws that end the span without marking it failed (e.g. a job put back to wait). */
  notFailure?: (error: unknown) => boolean;
}

/**
 * Runs `fn` inside a new active span and ends it when `fn` settles; a throw marks the span an
 * error with the error's `code` (Fleet's domain errors carry one) and name, not its message or
 * stack: messages may quote a URL or a provider's answer, and span attributes leave the process.
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  // Off: no span, no context switch (the no-op API's would cost ~0.3 us a call, several per item).
  if (!enabled) return fn(NOT_RECORDING);
  const parent = options.parent ?? context.active();
  const span = fleetTracer().startSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      ...(options.attributes ? { attributes: options.attributes } : {}),
      ...(options.links ? { links: options.links } : {}),
      ...(options.root ? { root: true } : {}),
    },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), fn, undefined, span);
  } catch (error) {
    if (!options.notFailure?.(error)) markFailed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Runs `fn` with tracing suppressed (spans it starts do not record): for work that must not be
 * traced even when tracing is on, e.g. a benchmark's baseline beside the traced path.
 */
export function untraced<T>(fn: () => T): T {
  return context.with(suppressTracing(context.active()), fn);
}

/** Marks a span failed with the error's code and class name (never its message: see inSpan). */
export function markFailed(span: Span, error: unknown): void {
  const code = (error as { code?: unknown } | null)?.code;
  const name = error instanceof Error ? error.name : typeof error;
  span.setAttribute('error.type', typeof code === 'string' ? code : name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: typeof code === 'string' ? code : name });
}

export { type Attributes, type Context, context, type Link, type Span, SpanKind, SpanStatusCode, trace };
