import { z } from 'zod';

/** Event types; the ones a webhook may ask for are `WEBHOOK_EVENTS` (webhooks.ts). */
export const EVENT_TYPES = [
  'item.started',
  'item.completed',
  'item.failed',
  'batch.progress',
  'batch.completed',
  'batch.cancelled',
  'profile.quarantined',
  'profile.released',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * A fleet event. `id` is its stream id once written (absent before). `data` is small: counts,
 * codes, durations — never secrets, never page contents.
 */
export const fleetEventSchema = z.strictObject({
  id: z.string().optional(),
  type: z.enum(EVENT_TYPES),
  batchId: z.string().optional(),
  itemId: z.string().optional(),
  profileId: z.string().optional(),
  at: z.number().int(),
  data: z.record(z.string(), z.unknown()),
});
export type FleetEvent = z.infer<typeof fleetEventSchema>;
