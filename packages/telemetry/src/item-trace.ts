import { context, type Link, type Span, SpanKind, trace } from '@opentelemetry/api';
import { fleetTracer, markFailed, tracingEnabled } from './spans.js';
import { traceparentOf } from './trace-context.js';

/** The attribute names Fleet's spans use for what they belong to (README "Tracing"). */
export const ATTR = {
  batchId: 'fleet.batch.id',
  itemId: 'fleet.item.id',
  itemIndex: 'fleet.item.index',
  attempt: 'fleet.attempt',
  outcome: 'fleet.outcome',
  profileId: 'fleet.profile.id',
  pool: 'fleet.pool',
} as const;

/** An item's `item.enqueue` span, open while its job is added. */
export interface ItemSpan {
  /** What the job carries so workers continue this trace; undefined when tracing is off. */
  traceparent: string | undefined;
  end(error?: unknown): void;
}

const OFF: ItemSpan = { traceparent: undefined, end: () => {} };

/**
 * Starts the root span of one item's own trace (one trace per item, not per batch: a batch of
 * 10,000 items in one trace is unreadable, and most tools cap a trace's spans). It links to the
 * active span, the batch's `batch.submit`, and that span links back to it (the SDK keeps the first
 * OTEL_SPAN_LINK_COUNT_LIMIT links, 128 by default). Off, it costs nothing.
 */
export function startItemSpan(batchId: string, index: number, queue: string): ItemSpan {
  if (!tracingEnabled()) return OFF;
  const batch = trace.getSpan(context.active());
  const links: Link[] = batch?.isRecording() ? [{ context: batch.spanContext() }] : [];
  const span: Span = fleetTracer().startSpan('item.enqueue', {
    root: true,
    kind: SpanKind.PRODUCER,
    links,
    attributes: {
      [ATTR.batchId]: batchId,
      [ATTR.itemIndex]: index,
      [ATTR.itemId]: `${batchId}.${index}`,
      'messaging.system': 'bullmq',
      'messaging.destination.name': queue,
    },
  });
  if (!span.isRecording()) return OFF;
  if (batch?.isRecording()) batch.addLink({ context: span.spanContext() });
  return {
    traceparent: traceparentOf(trace.setSpan(context.active(), span)),
    end: (error) => {
      if (error !== undefined) markFailed(span, error);
      span.end();
    },
  };
}
