import type { FleetEvent } from '@fleet/contracts';
import type { EventPublisher } from '@fleet/core';
import { inSpan } from '@fleet/telemetry';
import type { FleetRedis } from './connection.js';
import { Keys } from './keys.js';

export interface EventStreamOptions {
  /** Approximate MAXLEN: the stream keeps about this many recent events. */
  maxLen: number;
  /** How long a dedupe marker lives, seconds (longer than any retry of the same event). */
  dedupeTtlSec: number;
}

export const EVENT_STREAM_DEFAULTS: EventStreamOptions = { maxLen: 100_000, dedupeTtlSec: 7 * 24 * 3600 };

/**
 * The stream as an app's settings shape it: EVENTS_MAX_LEN entries, and dedupe markers that live as
 * long as a finished batch's keys (RESULT_RETENTION_SEC). A marker only has to outlive the retries
 * that could publish its event again, and those stop when the batch's record is gone (the claim
 * answers "no such batch"); kept a fixed 7 days, one marker per item piled up whenever the
 * retention was shorter (the soak: 2,000 markers left of 2,000 expired items).
 */
export function eventStreamOptions(settings: {
  resultRetentionSec: number;
  eventsMaxLen?: number;
}): EventStreamOptions {
  return {
    maxLen: settings.eventsMaxLen ?? EVENT_STREAM_DEFAULTS.maxLen,
    // SET EX refuses 0: a retention of 0 keeps the marker a second.
    dedupeTtlSec: Math.max(1, settings.resultRetentionSec),
  };
}

/** The fleet's one event stream (XADD with approximate MAXLEN); each event carries its stream id. */
export class RedisEventStream implements EventPublisher {
  private readonly keys: Keys;

  constructor(
    private readonly redis: FleetRedis,
    prefix: string,
    private readonly options: EventStreamOptions = EVENT_STREAM_DEFAULTS,
  ) {
    this.keys = new Keys(prefix);
  }

  get streamKey(): string {
    return this.keys.events.stream;
  }

  /** One event, in an `event.publish` span (README "Tracing"). */
  publish(event: Omit<FleetEvent, 'id'>, dedupeKey?: string): Promise<string | null> {
    return inSpan('event.publish', { attributes: { 'fleet.event.type': event.type } }, () =>
      this.publishNow(event, dedupeKey),
    );
  }

  private async publishNow(event: Omit<FleetEvent, 'id'>, dedupeKey?: string): Promise<string | null> {
    // Events are built by Fleet's own code, typed by the contract; parsing each one again on the
    // hot path cost ~4% of a worker's CPU (pipeline bench). Readers validate what they read.
    const body = JSON.stringify(event);
    const { stream, dedupe } = this.keys.events;
    if (dedupeKey === undefined) {
      return this.redis.xadd(
        stream,
        'MAXLEN',
        '~',
        this.options.maxLen,
        '*',
        'b',
        event.batchId ?? '',
        'e',
        body,
      );
    }
    return this.redis.fleetPublish(
      stream,
      dedupe(dedupeKey),
      this.options.maxLen,
      this.options.dedupeTtlSec,
      event.batchId ?? '',
      body,
    );
  }

  /** Events after `afterId` (exclusive), oldest first. */
  async readAfter(afterId = '-', count = 1000): Promise<FleetEvent[]> {
    const start = afterId === '-' ? '-' : `(${afterId}`;
    const entries = await this.redis.xrange(this.keys.events.stream, start, '+', 'COUNT', count);
    return entries.map(([id, fields]) => decodeEvent(id, fields));
  }
}

/** A stream entry (`b` batch id, `e` event JSON) → the event with its stream id. */
export function decodeEvent(id: string, fields: string[]): FleetEvent {
  const json = fields[fields.indexOf('e') + 1] ?? '{}';
  return { ...(JSON.parse(json) as FleetEvent), id };
}
