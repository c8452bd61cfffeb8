// In-memory fakes of core's own ports, for unit tests of core logic here and in other packages
// (`@fleet/core/testing`). They follow the Redis adapters' rules, but Redis, BullMQ and the browser
// themselves are never faked: integration and e2e tests use the real ones.
export { GatedDriver } from './gated-driver.js';
export { InstantDriver } from './instant-driver.js';
export { MemoryBatchStore } from './memory-batch-store.js';
export { MemoryCancelBus } from './memory-cancel-bus.js';
export { MemoryCheckpointStore } from './memory-checkpoint-store.js';
export { MemoryEventPublisher } from './memory-event-publisher.js';
export { MemoryEvidencePolicy } from './memory-evidence-policy.js';
export { MemoryItemQueue } from './memory-item-queue.js';
export { type MemoryItemRunnerOptions, memoryItemRunner, memoryJob } from './memory-item-runner.js';
export { MemoryProfileStore, type ReleaseRecord } from './memory-profile-store.js';
export { MemoryProvider } from './memory-provider.js';
export { MemoryResultStore } from './memory-result-store.js';
export { type MemorySessionsOptions, memorySessions } from './memory-sessions.js';
