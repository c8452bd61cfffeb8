import { checkApiKeyEntry } from '@fleet/auth';
import {
  durationMs,
  eventStreamSchema,
  flag,
  httpUrl,
  jsonList,
  port,
  type RedisSettings,
  type ReplicaWaitSettings,
  secretKeySchema,
} from '@fleet/config';
import { type MultiloginSettings, multiloginSchema } from '@fleet/multilogin';
import { webhookTargetSchema } from '@fleet/webhooks';

/** The API's own settings (REDIS_URL, FLEET_PREFIX, LOG_LEVEL come with @fleet/config). */
export const apiSchema = {
  apiPort: port({ env: 'API_PORT', default: 3000, doc: 'HTTP port of the API.' }),
  apiHost: {
    doc: 'Address the API listens on.',
    format: String,
    default: '127.0.0.1',
    env: 'API_HOST',
  },
  apiKeys: jsonList<unknown>({
    env: 'FLEET_API_KEYS',
    default: null as unknown as unknown[],
    doc: 'JSON list of API keys: [{"name":"ops","role":"admin","key":"…"}, {"name":"acme","role":"user","sha256":"<hex>","weight":2,"maxRunning":20}] (weight, maxRunning: fair share, optional).',
    sensitive: true,
    items: checkApiKeyEntry,
  }),
  fairShare: flag({
    doc: 'Share running slots fairly between API keys (README "Sharing a fleet"): items wait under their key until a worker hands them to the queue, by weight and cap (FLEET_API_KEYS "weight", "maxRunning"). Off: first come, first served within a priority.',
    default: true,
    env: 'FLEET_FAIR_SHARE',
  }),
  schedulesRun: flag({
    doc: 'Take scheduled batches\' runs in this API process (README "Scheduled batches"). Several APIs may: each run is taken by one and submitted once.',
    default: true,
    env: 'SCHEDULES_RUN',
  }),
  maxBatchItems: {
    doc: 'Most items one batch may have.',
    format: 'nat',
    default: 10_000,
    env: 'MAX_BATCH_ITEMS',
  },
  bodyLimitBytes: {
    doc: 'Largest request body, bytes.',
    format: 'nat',
    default: 16 * 1024 * 1024,
    env: 'API_BODY_LIMIT_BYTES',
  },
  rateLimitPerMinute: {
    doc: 'Requests one API key may make per minute (per API process); 0 = no limit.',
    format: 'nat',
    default: 1200,
    env: 'API_RATE_LIMIT_PER_MINUTE',
  },
  redisTimeoutMs: durationMs({
    env: 'API_REDIS_TIMEOUT_MS',
    default: 1000,
    doc: 'A Redis command the API waits on longer than this fails the request with 503.',
  }),
  artifactsDir: {
    doc: 'Where screenshots and failure evidence are stored (the same directory the workers write).',
    format: String,
    default: './data/artifacts',
    env: 'ARTIFACTS_DIR',
  },
  artifactSweepEveryMs: durationMs({
    env: 'ARTIFACT_SWEEP_EVERY_MS',
    default: 15 * 60_000,
    doc: 'How often the artifacts of batches that are gone (expired after RESULT_RETENTION_SEC) are removed from ARTIFACTS_DIR; 0 = never (another API process sweeps).',
  }),
  artifactSweepMinAgeMs: durationMs({
    env: 'ARTIFACT_SWEEP_MIN_AGE_MS',
    default: 10 * 60_000,
    doc: "Artifacts younger than this are never swept, whatever their batch: a batch's uploads are stored just before its record, and a worker may still be writing an item's evidence.",
  }),
  resultRetentionSec: {
    doc: "How long a finished or cancelled batch's results stay in Redis, seconds.",
    format: 'nat',
    default: 7 * 24 * 3600,
    env: 'RESULT_RETENTION_SEC',
  },
  itemAttempts: {
    doc: "Attempts of one item when the batch's options do not say.",
    format: 'nat',
    default: 3,
    env: 'ITEM_ATTEMPTS',
  },
  itemBackoffMs: durationMs({
    env: 'ITEM_BACKOFF_MS',
    default: 2000,
    doc: "First retry delay of an item when the batch's options do not say (doubles, with jitter).",
  }),
  notifierPublicUrl: httpUrl({
    env: 'NOTIFIER_PUBLIC_URL',
    default: 'http://127.0.0.1:3001',
    doc: "The notifier's address as browsers reach it (its origin: scheme, host, port); the dashboard at / connects there. The notifier's NOTIFIER_CORS_ORIGINS must list the API's origin.",
  }),
  ...multiloginSchema,
  ...secretKeySchema,
  ...eventStreamSchema,
  ...webhookTargetSchema,
};

export interface ApiSettings extends RedisSettings, ReplicaWaitSettings, MultiloginSettings {
  secretKey: string;
  prefix: string;
  apiPort: number;
  apiHost: string;
  apiKeys: unknown[];
  maxBatchItems: number;
  fairShare: boolean;
  schedulesRun: boolean;
  bodyLimitBytes: number;
  rateLimitPerMinute: number;
  redisTimeoutMs: number;
  artifactsDir: string;
  artifactSweepEveryMs: number;
  artifactSweepMinAgeMs: number;
  resultRetentionSec: number;
  eventsMaxLen: number;
  itemAttempts: number;
  itemBackoffMs: number;
  notifierPublicUrl: string;
  webhookAllowedTargets: string[];
}
