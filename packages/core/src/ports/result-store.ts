import type { FleetEvent, ItemResult } from '@fleet/contracts';

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
  /** The `done` events went on the stream with this write (only a store that `publishesEvents`). */
  published?: boolean;
}

/** An event as its publisher builds it (the stream gives it its id). */
export type EventDraft = Omit<FleetEvent, 'id'>;

/**
 * The events of a recorded item, for a store that publishes them with the write itself: the
 * item's `item.completed|failed` (the store adds `data.progress`, the batch's counts after this
 * write) and, when the write completes the batch, `batch.completed` at `at` with those counts;
 * each under its dedupe key, as `EventPublisher.publish` would.
 */
export interface DoneEvents {
  item: EventDraft;
  itemDedupeKey: string;
  at: number;
  batchDedupeKey: string;
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
  /**
   * Whether `claim` and `record` publish the events they are given in the same atomic write (one
   * round trip, no window between a result and its events). Otherwise (absent, false) they ignore
   * them and the caller publishes. DESIGN.md section 4, "The per-item Redis path".
   */
  readonly publishesEvents?: boolean;
  /** With `started`, a store that `publishesEvents` appends it to the stream when the claim is made. */
  claim(ref: ItemRef, fence: number, expiresAt: number, started?: EventDraft): Promise<ClaimStatus>;
  /** Keeps the claim's expiry in step with the lease, unless a newer claim took over or the batch was cancelled. */
  extendClaim(ref: ItemRef, fence: number, expiresAt: number): Promise<ClaimExtension>;
  /** Whether the batch was cancelled (checked before an item starts a browser). */
  isCancelled(batchId: string): Promise<boolean>;
  /** With `done`, a store that `publishesEvents` publishes them when this write is the result. */
  record(ref: ItemRef, fence: number, result: ItemResult, done?: DoneEvents): Promise<RecordOutcome>;
  get(ref: ItemRef): Promise<ItemResult | null>;
  progress(batchId: string): Promise<BatchProgress | null>;
}
