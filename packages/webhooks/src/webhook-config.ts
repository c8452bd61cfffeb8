import { csvList, durationMs } from '@fleet/config';
import { allowedTargetProblem } from '@fleet/targets';

/**
 * WEBHOOK_ALLOWED_TARGETS, read by the API (judged at submit) and the notifier (at delivery). Its
 * own list, not ALLOWED_TARGETS: that one lets browsers reach test sites, and should not also let
 * any key's webhook POST into the same private network from the server side.
 */
export const webhookTargetSchema = {
  webhookAllowedTargets: csvList({
    env: 'WEBHOOK_ALLOWED_TARGETS',
    default: [],
    doc: 'Private targets webhooks may reach, comma-separated: host, host:port or address range (e.g. hooks.internal:8443, 10.0.0.0/8). Anything else on a loopback, private, link-local or reserved address is refused at submit (TARGET_BLOCKED) and at every delivery.',
    items: (entry) => allowedTargetProblem(entry),
  }),
};

/** The delivery settings (the notifier runs the deliveries). */
export const webhookDeliverySchema = {
  ...webhookTargetSchema,
  webhookAttempts: {
    doc: 'Attempts per webhook delivery (the first included) before it is dead-lettered.',
    format: 'nat',
    default: 5,
    env: 'WEBHOOK_ATTEMPTS',
  },
  webhookBackoffMs: durationMs({
    env: 'WEBHOOK_BACKOFF_MS',
    default: 2000,
    doc: 'Delay before the first retry of a webhook delivery; doubles with each attempt.',
  }),
  webhookTimeoutMs: durationMs({
    env: 'WEBHOOK_TIMEOUT_MS',
    default: 10_000,
    doc: 'How long one webhook request may take (connect, send, answer) before it counts as failed.',
  }),
  webhookConcurrency: {
    doc: 'Webhook requests one notifier sends at once.',
    format: 'nat',
    default: 10,
    env: 'WEBHOOK_CONCURRENCY',
  },
};

export interface WebhookDeliverySettings {
  webhookAllowedTargets: string[];
  webhookAttempts: number;
  webhookBackoffMs: number;
  webhookTimeoutMs: number;
  webhookConcurrency: number;
}
