import type { FleetEvent, ItemResult } from '@fleet/contracts';
import type { ProxyConfig } from '../profile.js';

export type BatchStatus = 'queued' | 'running' | 'completed' | 'cancelled';

export interface BatchRecord {
  id: string;
  name: string | null;
  /** The API key (by name) that created it. */
  owner: string | null;
  /** Every item job is in the queue (false while a submit is adding them, or if it was cut short). */
  enqueued: boolean;
  pool: string;
  total: number;
  completed: number;
  failed: number;
  status: BatchStatus;
  createdAt: number;
  finishedAt: number | null;
}

export interface NewBatch {
  /** A proxy every item of the batch uses instead of its profile's own (kept out of job data). */
  proxy?: ProxyConfig | null;
  id: string;
  name?: string | null;
  owner?: string | null;
  pool: string;
  total: number;
}

export interface BatchListQuery {
  /** Only this API key's batches; every batch when omitted. */
  owner?: string;
  /** From an earlier page's `nextCursor`. */
  cursor?: string;
  limit: number;
}

export interface BatchPage {
  /** Newest first. */
  batches: BatchRecord[];
  nextCursor: string | null;
}

/**
 * - `cancelled`: this call cancelled it; `already-cancelled`: an earlier call did;
 * - `finished`: every item already had its result (nothing to cancel); `unknown`: no such batch.
 */
export type CancelStatus = 'cancelled' | 'already-cancelled' | 'finished' | 'unknown';

export interface BatchStore {
  create(batch: NewBatch): Promise<BatchRecord>;
  get(batchId: string): Promise<BatchRecord | null>;
  list(query: BatchListQuery): Promise<BatchPage>;
  /** The batch's own proxy (with its credentials), or null when it has none or is gone. */
  proxyOf(batchId: string): Promise<ProxyConfig | null>;
  /** Every item job of the batch is in the queue (a resumed submit re-adds them until this is set). */
  markEnqueued(batchId: string): Promise<void>;
  /** Marks the batch cancelled: from then on no item of it is claimed or recorded. */
  cancel(batchId: string): Promise<{ status: CancelStatus; batch: BatchRecord | null }>;
}

/**
 * Tells every worker at once that a batch was cancelled, so items running anywhere are aborted
 * (their browsers stopped, leases released). Best effort and fast; the result store's refusal to
 * claim, extend or record items of a cancelled batch is what makes cancellation hold.
 */
export interface CancelBus {
  announce(batchId: string): Promise<void>;
  /** Calls `listener` with each cancelled batch id; resolves once listening. Returns an unsubscribe. */
  listen(listener: (batchId: string) => void): Promise<() => Promise<void>>;
}

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

/**
 * The fleet's event stream. With a `dedupeKey`, the event is written at most once for that key
 * (e.g. `batch.completed` of one batch), however many workers or retries publish it.
 * Returns the stream id, or null when the dedupe key had already been used.
 */
export interface EventPublisher {
  publish(event: Omit<FleetEvent, 'id'>, dedupeKey?: string): Promise<string | null>;
}
