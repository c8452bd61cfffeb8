import { itemId } from '@fleet/contracts';
import {
  ATTR,
  context,
  contextFrom,
  fleetTracer,
  hasSpan,
  markFailed,
  NOT_RECORDING,
  type Span,
  SpanKind,
  trace,
  tracingEnabled,
} from '@fleet/telemetry';
import { DelayedError, type Job } from 'bullmq';

/**
 * Runs one take of an item job inside its `item.attempt` span, in the item's own trace (the
 * `traceparent` the API put in the job; a new trace when there is none), so every span the take
 * makes (lease, provider calls, browser start, steps, record) is under it. Each take is its own
 * span under the same parent, so a retried item shows one attempt span per try. The first take
 * also gets `item.queue_wait`: from the job's creation to BullMQ handing it out (later takes come
 * out of a backoff or delay whose start the job does not keep; the gap shows between attempts).
 * A take put back (DelayedError: no free profile, shutdown) is not an error.
 */
export async function inAttemptSpan<T>(job: Job, fn: (span: Span) => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return fn(NOT_RECORDING);
  const data = job.data as { batchId?: unknown; index?: unknown; traceparent?: unknown };
  const parent = contextFrom(typeof data.traceparent === 'string' ? data.traceparent : undefined);
  const tracer = fleetTracer();
  const attributes = {
    [ATTR.itemId]: job.id ?? itemId(String(data.batchId), Number(data.index)),
    [ATTR.batchId]: String(data.batchId),
    [ATTR.itemIndex]: Number(data.index),
  };
  if (hasSpan(parent) && job.attemptsStarted <= 1) {
    const end = job.processedOn ?? Date.now();
    tracer
      .startSpan('item.queue_wait', { attributes, startTime: Math.min(job.timestamp, end) }, parent)
      .end(end);
  }
  const span = tracer.startSpan(
    'item.attempt',
    {
      kind: SpanKind.CONSUMER,
      attributes: { ...attributes, [ATTR.attempt]: job.attemptsMade + 1, 'fleet.take': job.attemptsStarted },
    },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), fn, undefined, span);
  } catch (error) {
    if (!(error instanceof DelayedError)) markFailed(span, error);
    throw error;
  } finally {
    span.end();
  }
}
