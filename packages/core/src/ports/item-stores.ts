import type { FleetEvent, ItemResult } from '@fleet/contracts';

export type BatchStatus = 'queued' | 'running' | 'completed' | 'cancelled';

export interface BatchRecord {
  id: string;
  name: string | null;
  /** The API key (by name) that created it. */
  owner: string | null;
  pool: string;
  total: number;
  completed: number;
  failed: number;
  status: BatchStatus;
  createdAt: number;
  finishedAt: number | null;
}

export interface NewBatch {
  id: string;
  name?: string | null;
  owner?: string | null;
  pool: string;
  total: number;
}

export interface BatchStore {
  create(batch: NewBatch): Promise<BatchRecord>;
  get(batchId: string): Promise<BatchRecord | null>;
}

export interface ItemRef {
  batchId: string;
  index: number;
}

/**
 * - `claimed`: this attempt may run the item, fenced by its lease;
 * - `recorded`: the item already has its result (an earlier attempt finished): do nothing;
 * - `cancelled`: the batch was cancelled: do nothing;
 * - `stale`: a newer lease has claimed the item: this attempt must stop and write nothing.
 */
export type ClaimStatus = 'claimed' | 'recorded' | 'cancelled' | 'stale';

export interface BatchProgress {
  total: number;
  completed: number;
  failed: number;
  /** Every item has its result. */
  done: boolean;
}

export interface RecordOutcome {
  /** `recorded`: this write is the item's result; `duplicate`: an earlier one was; `stale`: refused. */
  status: 'recorded' | 'duplicate' | 'stale';
  batch: BatchProgress;
}

/** Fence 0: a result written without a lease (e.g. the deadline passed before any profile was free). */
export const NO_FENCE = 0;

/**
 * Item results, first result wins. Writes are fenced: an attempt claims the item with its lease's
 * fence and expiry (kept current on each renew); a result is accepted only under the latest claim
 * and before its expiry, so a paused or partitioned worker's late write is refused.
 * Counters count each item once; the write that completes the batch says so (`batch.done`).
 */
export interface ResultStore {
  claim(ref: ItemRef, fence: number, expiresAt: number): Promise<ClaimStatus>;
  /** Keeps the claim's expiry in step with the lease; false when a newer claim took over. */
  extendClaim(ref: ItemRef, fence: number, expiresAt: number): Promise<boolean>;
  record(ref: ItemRef, fence: number, result: ItemResult): Promise<RecordOutcome>;
  get(ref: ItemRef): Promise<ItemResult | null>;
  progress(batchId: string): Promise<BatchProgress | null>;
}

/**
 * The fleet's event stream. With a `dedupeKey`, the event is written at most once for that key
 * (e.g. `batch.completed` of one batch), however many workers or retries publish it.
 * Returns the stream id, or null when the dedupe key had already been used.
 */
export interface EventPublisher {
  publish(event: Omit<FleetEvent, 'id'>, dedupeKey?: string): Promise<string | null>;
}
