import { EVENT_TYPES, type FleetEvent, fleetEventSchema } from '@fleet/contracts';
import type { LoggerPort } from '@fleet/core';

/** The value of one field of a stream entry (`b`: batch id, `e`: event JSON). */
export function fieldValue(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);

/**
 * Does `fleetEventSchema` accept this JSON-parsed value as it is? A hand-written check of the
 * schema's shape, for the relay's hot path: it answers true only for plain objects the schema
 * accepts unchanged, and false for anything else, including values the schema would still accept
 * (e.g. `at` beyond 2^53, an own `__proto__` key), which then go to the schema itself. The zod
 * parse it replaces was a third of the notifier's work per event before the emit (issue 17 §3;
 * `stream-entry.test.ts` holds both to the same answers).
 */
export function isPlainFleetEvent(value: unknown): value is FleetEvent {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype)
    return false;
  const event = value as Record<string, unknown>;
  let required = 0;
  for (const key of Object.keys(event)) {
    const field = event[key];
    switch (key) {
      case 'id':
      case 'batchId':
      case 'itemId':
      case 'profileId':
        if (typeof field !== 'string') return false;
        break;
      case 'type':
        if (typeof field !== 'string' || !EVENT_TYPE_SET.has(field)) return false;
        required++;
        break;
      case 'at':
        if (!Number.isSafeInteger(field)) return false;
        required++;
        break;
      case 'data':
        // An own `__proto__` key (JSON.parse makes one) is left to the schema, which drops it.
        if (
          typeof field !== 'object' ||
          field === null ||
          Object.getPrototypeOf(field) !== Object.prototype ||
          Object.hasOwn(field, '__proto__')
        )
          return false;
        required++;
        break;
      default:
        return false;
    }
  }
  return required === 3;
}

/**
 * A stream entry → a valid event with its stream id, or null (logged) when the entry is not one.
 * The event is the entry's own parsed JSON, not a copy: nothing else holds it.
 */
export function entryToEvent(id: string, fields: string[], logger: LoggerPort): FleetEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(fieldValue(fields, 'e') ?? '{}');
  } catch {
    logger.warn({ streamId: id }, 'skipped a stream entry whose event is not JSON');
    return null;
  }
  if (isPlainFleetEvent(value)) {
    value.id = id;
    return value;
  }
  const parsed = fleetEventSchema.safeParse(
    typeof value === 'object' && value !== null ? { ...value, id } : value,
  );
  if (parsed.success) return parsed.data;
  logger.warn(
    { streamId: id, issues: parsed.error.issues.length },
    'skipped a stream entry that is no event',
  );
  return null;
}
