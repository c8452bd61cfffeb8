import type { ItemResult } from '@fleet/contracts';

export interface ItemRef {
  batchId: string;
  index: number;
}

/**
 * - `claimed`: this attempt may run the item, fenced by its lease;
 * - `recorded`: the item already has its result (an earlier attempt finished): do nothing;
 * - `cancelled`: the batch was cancelled: do nothing;
 * - `stale`: this attempt's lease expired before it could claim: it must stop and write nothing.
 * The latest claim wins: a new attempt takes the item over from an earlier one (the queue gives a
 * job to one attempt at a time; the earlier one lost its job lock), whose writes are then refused.
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
  /**
   * `recorded`: this write is the item's result; `duplicate`: an earlier one was; `stale`: refused
   * (the claim was taken over or expired); `cancelled`: refused, the batch was cancelled.
   */
  status: 'recorded' | 'duplicate' | 'stale' | 'cancelled';
  batch: BatchProgress;
}

/**
 * - `extended`: the claim's expiry moved along with the lease;
 * - `stale`: a newer attempt claimed the item: stop and write nothing;
 * - `cancelled`: the batch was cancelled: stop the item (nothing of it will be recorded).
 */
export type ClaimExtension = 'extended' | 'stale' | 'cancelled';

/** Fence 0: a result written without a lease (e.g. the deadline passed before any profile was free). */
export const NO_FENCE = 0;

/**
 * Fence -1: the queue gave the item's job up for good (attempts or stalls exhausted) before any
 * attempt recorded it: its failure is recorded whatever claims remain, so the item is not lost.
 */
export const ABANDONED_FENCE = -1;

/**
 * Item results, first result wins. Writes are fenced: an attempt claims the item with its lease's
 * fence and expiry (kept current on each renew); a result is accepted only under the latest claim
 * and before its expiry, so a paused or partitioned worker's late write is refused (and so is the
 * write of an attempt another one took the item over from).
 * Counters count each item once; the write that completes the batch says so (`batch.done`).
 */
export interface ResultStore {
  claim(ref: ItemRef, fence: number, expiresAt: number): Promise<ClaimStatus>;
  /** Keeps the claim's expiry in step with the lease, unless a newer claim took over or the batch was cancelled. */
  extendClaim(ref: ItemRef, fence: number, expiresAt: number): Promise<ClaimExtension>;
  /** Whether the batch was cancelled (checked before an item starts a browser). */
  isCancelled(batchId: string): Promise<boolean>;
  record(ref: ItemRef, fence: number, result: ItemResult): Promise<RecordOutcome>;
  get(ref: ItemRef): Promise<ItemResult | null>;
  progress(batchId: string): Promise<BatchProgress | null>;
}
