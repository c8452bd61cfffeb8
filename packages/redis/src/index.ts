export { BatchItemsReader, type StoredItem } from './batch-items-reader.js';
export { type BatchStoreOptions, RedisBatchStore } from './batch-store.js';
export { type CancelBusOptions, RedisCancelBus } from './cancel-bus.js';
export { RedisCheckpointStore } from './checkpoint-store.js';
export {
  type ConnectionOptions,
  type ConnectionRole,
  checkEvictionPolicy,
  createRedis,
  type FleetRedis,
  mastersOf,
  nodeOptionsOf,
  roleOptions,
  scanKeys,
  subscriberOf,
  waitReady,
} from './connection.js';
export {
  decodeEvent,
  EVENT_STREAM_DEFAULTS,
  type EventStreamOptions,
  eventStreamOptions,
  RedisEventStream,
} from './events-stream.js';
export { type EvidencePolicyOptions, RedisEvidencePolicy } from './evidence-policy.js';
export {
  type FairItem,
  RedisFairShare,
  type RunningEntry,
  type TenantShare,
  type TenantStanding,
} from './fair-share.js';
export { IDEMPOTENCY_TTL_SEC, RedisIdempotencyStore, type Reservation } from './idempotency-store.js';
export { RedisKeyRevocations } from './key-revocations.js';
export {
  type BatchKeys,
  type EventKeys,
  Keys,
  type PoolKeys,
  type ScenarioKeys,
  type WebhookKeys,
} from './keys.js';
export { type ProfileStoreOptions, RedisProfileStore } from './profile-store.js';
export { type ProviderDown, RedisProviderHealth } from './provider-health.js';
export {
  describeRedisTarget,
  type RedisTarget,
  redisSettingsOf,
  redisTargetEnv,
  redisTargetOf,
} from './redis-target.js';
export { ReplicaWait, type ReplicaWaitOptions, replicaWaitOf } from './replica-wait.js';
export { RedisResultStore, type ResultStoreOptions } from './result-store.js';
export {
  RedisScenarioRegistry,
  type ScenarioAd,
  type ScenarioRegistryOptions,
} from './scenario-registry.js';
export { ScriptCode, scriptError } from './script-errors.js';
export { defineScripts, loadScripts } from './scripts.js';
export { openProxy, SecretBox, sealProxy } from './secret-box.js';
export { RedisSiteLimits, type SiteLimitsOptions, type SiteStatus } from './site-limits.js';
export { type NotedTake, RedisStallLedger, type Take } from './stall-ledger.js';
