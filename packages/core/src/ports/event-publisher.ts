import type { FleetEvent } from '@fleet/contracts';

/**
 * The fleet's event stream. With a `dedupeKey`, the event is written at most once for that key
 * (e.g. `batch.completed` of one batch), however many workers or retries publish it.
 * Returns the stream id, or null when the dedupe key had already been used.
 */
export interface EventPublisher {
  publish(event: Omit<FleetEvent, 'id'>, dedupeKey?: string): Promise<string | null>;
}
