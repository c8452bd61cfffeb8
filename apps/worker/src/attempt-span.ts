import { itemId } from '@fleet/contracts';
import {
  ATTR,
  contextFrom,
  fleetTracer,
  hasSpan,
  inSpan,
  NOT_RECORDING,
  type Span,
  SpanKind,
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
export function inAttemptSpan<T>(job: Job, fn: (span: Span) => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return fn(NOT_RECORDING);
  const data = job.data as { batchId?: unknown; index?: unknown; traceparent?: unknown };
  const parent = contextFrom(typeof data.traceparent === 'string' ? data.traceparent : undefined);
  const attributes = {
    [ATTR.itemId]: job.id ?? itemId(String(data.batchId), Number(data.index)),
    [ATTR.batchId]: String(data.batchId),
    [ATTR.itemIndex]: Number(data.index),
  };
  if (hasSpan(parent) && job.attemptsStarted <= 1) {
    const end = job.processedOn ?? Date.now();
    fleetTracer()
      .startSpan('item.queue_wait', { attributes, startTime: Math.min(job.timestamp, end) }, parent)
      .end(end);
  }
  return inSpan(
    'item.attempt',
    {
      kind: SpanKind.CONSUMER,
      parent,
      attributes: { ...attributes, [ATTR.attempt]: job.attemptsMade + 1, 'fleet.take': job.attemptsStarted },
      notFailure: (error) => error instanceof DelayedError,
    },
    fn,
  );
}
