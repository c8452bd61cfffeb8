import { z } from 'zod';

/**
 * The events a webhook may ask for (README "Webhooks"). Item and batch events only: profile
 * events belong to no key's batch. Without `events` a webhook gets `batch.completed` and
 * `batch.cancelled` (a cancelled batch never completes, so a caller waiting for the end needs both).
 */
export const WEBHOOK_EVENTS = [
  'item.completed',
  'item.failed',
  'batch.completed',
  'batch.cancelled',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEvent[] = ['batch.completed', 'batch.cancelled'];

const webhookUrl = z
  .string()
  .max(2000)
  .refine((text) => {
    try {
      const url = new URL(text);
      return (
        (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === ''
      );
    } catch {
      return false;
    }
  }, 'an absolute http:// or https:// URL without user:password@');

const webhookEvents = z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length);

/** `webhook` of a batch: where its events are POSTed (signed with the owner key's secret). */
export const batchWebhookSchema = z.strictObject({ url: webhookUrl, events: webhookEvents.optional() });
export type BatchWebhook = z.infer<typeof batchWebhookSchema>;

/** `POST /v1/admin/webhooks`: a webhook for every batch of one API key. */
export const createWebhookBodySchema = z.strictObject({
  key: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'an API key name'),
  url: webhookUrl,
  events: webhookEvents.optional(),
});
export type CreateWebhookBody = z.infer<typeof createWebhookBodySchema>;

/** A registered webhook as an admin sees it (never its secret). */
export const webhookViewSchema = z.strictObject({
  id: z.string(),
  key: z.string(),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  createdAt: z.string(),
});
export type WebhookView = z.infer<typeof webhookViewSchema>;

export const DELIVERY_STATES = ['pending', 'retrying', 'delivered', 'dead'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** One delivery of one event to one webhook (`GET /v1/batches/:id/webhooks`). */
export const deliveryViewSchema = z.strictObject({
  /** Also the `Fleet-Webhook-Id` header: `<event id>.<webhook id>`, the receiver's dedupe key. */
  id: z.string(),
  eventId: z.string(),
  event: z.string(),
  /** `batch` for the batch's own webhook, else the registered webhook's id. */
  webhook: z.string(),
  /** The target without query or credentials. */
  url: z.string(),
  state: z.enum(DELIVERY_STATES),
  attempts: z.number().int(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type DeliveryView = z.infer<typeof deliveryViewSchema>;
