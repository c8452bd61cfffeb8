export {
  type BatchPlanInput,
  BatchService,
  type CancelResult,
  type PlannedBatch,
  planBatch,
  type SubmitOptions,
} from './batch-service.js';
export { errorSignature, messageShape } from './error-signature.js';
export {
  BatchCancelledError,
  type ErrorDetail,
  type ErrorKind,
  FatalError,
  FleetError,
  type FleetErrorOptions,
  InvalidArgumentError,
  isFleetError,
  LeaseLostError,
  NonRetryableError,
  ProfileExistsError,
  ProfileFaultError,
  ProfileLeasedError,
  ProfileNotFoundError,
  ProviderUnreachableError,
  RetryableError,
  UnknownPoolError,
} from './errors.js';
export { type AttemptContext, type AttemptOutcome, ItemRunner, type ItemRunnerDeps } from './item-runner.js';
export type {
  Lease,
  LeaseOutcome,
  PoolCounts,
  PoolSelector,
  ReclaimedLease,
  ReleasePolicy,
  ReleaseResult,
} from './lease.js';
export { linkSignals } from './linked-signal.js';
export { type ArtifactMeta, type ArtifactStore, batchIdOfArtifact } from './ports/artifact-store.js';
export type {
  BatchListQuery,
  BatchPage,
  BatchRecord,
  BatchStatus,
  BatchStore,
  CancelStatus,
  NewBatch,
} from './ports/batch-store.js';
export type { BrowserDriver, RunStepsOptions, StepsOutcome } from './ports/browser-driver.js';
export type { CancelBus } from './ports/cancel-bus.js';
export type { CheckpointSave, CheckpointStore } from './ports/checkpoint-store.js';
export type { EventPublisher } from './ports/event-publisher.js';
export type { EvidencePolicy, FailureSample } from './ports/evidence-policy.js';
export type { EnqueueOptions, ItemQueue } from './ports/item-queue.js';
export type { LoggerPort } from './ports/logger-port.js';
export type {
  ProfileProvider,
  ProviderProfileStatus,
  WebDriverEndpoint,
} from './ports/profile-provider.js';
export type { ProfileListQuery, ProfilePage, ProfileStore } from './ports/profile-store.js';
export {
  ABANDONED_FENCE,
  type BatchProgress,
  type ClaimExtension,
  type ClaimStatus,
  type DoneEvents,
  type EventDraft,
  type ItemRef,
  NO_FENCE,
  type RecordOutcome,
  type ResultStore,
} from './ports/result-store.js';
export type { ScenarioCall, ScenarioRunner } from './ports/scenario-runner.js';
export type { SiteGrant, SiteLimits } from './ports/site-limits.js';
export type {
  NewProfile,
  Profile,
  ProfilePatch,
  ProfileState,
  ProfileStats,
  ProviderIds,
  ProxyConfig,
} from './profile.js';
export { proxyStillSealed, SEALED_SECRET_PREFIX } from './profile.js';
export { type AllocationOptions, ProfileAllocationService } from './profile-allocation-service.js';
export { type ImportOptions, importProfiles, type ProviderProfileRef } from './profile-import.js';
export type { ProfileSession } from './profile-session.js';
export {
  type CheckoutOptions,
  type GiveBackOptions,
  ProfileSessions,
  type ProfileSessionsOptions,
} from './profile-sessions.js';
export { ReclaimedBrowsers, type ReclaimedBrowsersOptions } from './reclaimed-browsers.js';
export type { SessionState } from './session-state.js';
export { siteOf } from './site.js';
export {
  checkNewProfile,
  checkOwner,
  checkPatch,
  checkPool,
  checkProfileId,
  checkProxy,
  checkSelector,
  checkTags,
  checkTtl,
  MAX_LEASE_TTL_MS,
} from './validation.js';
