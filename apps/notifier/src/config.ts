import { type ApiKeyEntry, checkApiKeyEntry } from '@fleet/auth';
import { csvList, durationMs, jsonList, port, type RedisSettings } from '@fleet/config';

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
};

export interface NotifierSettings extends RedisSettings {
  prefix: string;
  notifierPort: number;
  apiKeys: ApiKeyEntry[];
  corsOrigins: string[];
  revocationCheckMs: number;
}
