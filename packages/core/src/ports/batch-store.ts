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
  /** The code scenario its items run (`name@version`); absent or null for a batch of steps. */
  scenario?: string | null;
  /** The schedule whose run created it. */
  scheduleId?: string | null;
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
  /** `name@version` of the code scenario its items run. */
  scenario?: string | null;
  /** The schedule whose run created it. */
  scheduleId?: string | null;
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
