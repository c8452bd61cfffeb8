import type { ApiKeyRing } from '@fleet/auth';
import type { ArtifactStore, BatchService } from '@fleet/core';
import type { ApiMetrics } from '@fleet/metrics';
import type { ItemQueues, ItemsQueue } from '@fleet/queue';
import type {
  BatchItemsReader,
  FleetRedis,
  RedisBatchStore,
  RedisEvidencePolicy,
  RedisFairShare,
  RedisIdempotencyStore,
  RedisProfileStore,
  RedisProviderHealth,
  RedisScenarioRegistry,
  RedisSiteLimits,
  ReplicaWait,
} from '@fleet/redis';
import type { TargetPolicy } from '@fleet/targets';
import type { RedisWebhookStore } from '@fleet/webhooks';
import type { ApiSettings } from './config.js';
import type { ScenarioInputs } from './scenario-inputs.js';

/**
 * A provider's profile search, for `POST /v1/profiles/import`: the configured provider's, or a
 * given launcher's (`launcher`, an origin: profiles imported from a launcher host).
 */
export interface ProfileSource {
  allProfiles(
    search: { folderId?: string },
    launcher?: string,
  ): AsyncIterable<{ id: string; folderId: string | undefined }>;
}

export type ApiContextSettings = Pick<
  ApiSettings,
  'prefix' | 'maxBatchItems' | 'bodyLimitBytes' | 'rateLimitPerMinute' | 'itemAttempts' | 'itemBackoffMs'
> &
  Partial<Pick<ApiSettings, 'notifierPublicUrl' | 'schedulesRun' | 'fairShare'>>;

/** What the routes use; built once by `buildServer`. */
export interface ApiContext {
  settings: ApiContextSettings;
  redis: FleetRedis;
  keys: ApiKeyRing;
  queue: ItemsQueue;
  /** The items queue and the scenario queues (a scenario batch's items wait in its own). */
  queues: ItemQueues;
  /** The code scenarios workers advertise. */
  scenarios: RedisScenarioRegistry;
  /** Checks scenario batches' items against the advertised input schemas. */
  scenarioInputs: ScenarioInputs;
  service: BatchService;
  /** Fair share between API keys (README "Sharing a fleet"); null when FLEET_FAIR_SHARE is off. */
  fair: RedisFairShare | null;
  batches: RedisBatchStore;
  items: BatchItemsReader;
  profiles: RedisProfileStore;
  idempotency: RedisIdempotencyStore;
  /** Provider hosts the workers cannot reach (shown to admins by `GET /v1/pools`). */
  providerHealth: RedisProviderHealth;
  artifacts: ArtifactStore;
  /** The batches' failures counted by kind (`GET /v1/batches/:id/errors`); written by the workers. */
  errors: Pick<RedisEvidencePolicy, 'summary'>;
  /** This process's Prometheus metrics (served at `/metrics`). */
  metrics: ApiMetrics;
  /** Null when no provider is configured (import answers 409 PROVIDER_NOT_CONFIGURED). */
  profileSource: ProfileSource | null;
  /** Webhooks, their secrets and deliveries (README "Webhooks"). */
  webhooks: RedisWebhookStore;
  /** Judges webhook URLs at submit (WEBHOOK_ALLOWED_TARGETS). */
  webhookTargets: TargetPolicy;
  /** Admins' politeness rules per site (README "Sharing a fleet"); the workers enforce them. */
  sites: RedisSiteLimits;
  /** WAIT for replicas after a submit (Sentinel); null: answer at once. */
  replicaWait: ReplicaWait | null;
}
