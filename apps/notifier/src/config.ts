import { type ApiKeyEntry, checkApiKeyEntry } from '@fleet/auth';
import { csvList, durationMs, jsonList, port, type RedisSettings, secretKeySchema } from '@fleet/config';
import { type WebhookDeliverySettings, webhookDeliverySchema } from '@fleet/webhooks';

/** The notifier's own settings (REDIS_URL, FLEET_PREFIX, LOG_LEVEL come with @fleet/config). */
export const notifierSchema = {
  notifierPort: port({
    env: 'NOTIFIER_PORT',
    default: 3001,
    doc: 'HTTP port of the Socket.IO server, /health and /ready.',
  }),
  apiKeys: jsonList<ApiKeyEntry>({
    env: 'FLEET_API_KEYS',
    default: null,
    sensitive: true,
    items: checkApiKeyEntry,
    doc: 'API keys, the same list the API reads: [{"name","role":"admin"|"user","key"|"sha256"}].',
  }),
  corsOrigins: csvList({
    env: 'NOTIFIER_CORS_ORIGINS',
    default: [],
    doc: 'Browser origins allowed to connect from other sites (e.g. https://app.example.com); empty = same origin only.',
  }),
  revocationCheckMs: durationMs({
    env: 'NOTIFIER_REVOCATION_CHECK_MS',
    default: 5000,
    doc: 'How often the revoked-key set is re-read, besides the pub/sub announcements (fallback).',
  }),
  // Webhook deliveries run in the notifier (README "Webhooks"); FLEET_SECRET_KEY opens key secrets.
  ...webhookDeliverySchema,
  ...secretKeySchema,
};

/** What a notifier built without the whole schema (tests) uses. */
export const WEBHOOK_DEFAULTS: WebhookDeliverySettings = {
  webhookAllowedTargets: [],
  webhookAttempts: 5,
  webhookBackoffMs: 2000,
  webhookTimeoutMs: 10_000,
  webhookConcurrency: 10,
};

export interface NotifierSettings extends RedisSettings, Partial<WebhookDeliverySettings> {
  /** FLEET_SECRET_KEY: opens the webhook secrets the API sealed (empty: stored as given). */
  secretKey?: string;
  prefix: string;
  notifierPort: number;
  apiKeys: ApiKeyEntry[];
  corsOrigins: string[];
  revocationCheckMs: number;
}
