export { ApiMetrics, type ApiSources, type PoolCountsLike, QUEUE_STATES, within } from './api-metrics.js';
export { parseSamples, type Sample, sampleSum } from './exposition.js';
export { type ErrorEmitter, FleetMetrics, type MetricsOptions } from './registry.js';
export {
  ITEM_DURATION_BUCKETS,
  type ItemMetrics,
  type PressureCheck,
  type RecordedItem,
  type SessionStats,
  WorkerMetrics,
  type WorkerSources,
} from './worker-metrics.js';
