import type { ItemResult } from '@fleet/contracts';
import { NonRetryableError } from '../errors.js';
import type { EventPublisher } from '../ports/event-publisher.js';
import {
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
} from '../ports/result-store.js';

interface Batch {
  total: number;
  cancelled: boolean;
  results: Map<number, ItemResult>;
  /** index → the latest claim's fence and expiry. */
  claims: Map<number, { fence: number; expiresAt: number }>;
}

/**
 * Results with the Redis store's rules (packages/redis/src/lua/claim-3.lua, record-3.lua): first
 * result wins; the latest claim wins; a claim under an expired lease is stale; a write is accepted
 * only under the latest claim before its expiry; a cancelled batch refuses claims, extensions and
 * records. Batches are added with `add` (the batch store's job in production).
 * With a `publishTo`, it publishes the events it is given with its claims and records, as the Redis
 * store does on one Redis (claim-publish-4.lua, record-publish-6.lua).
 */
export class MemoryResultStore implements ResultStore {
  readonly batches = new Map<string, Batch>();
  readonly publishesEvents: boolean;

  constructor(
    private readonly now: () => number = () => Date.now(),
    private readonly publishTo?: EventPublisher,
  ) {
    this.publishesEvents = publishTo !== undefined;
  }

  add(batchId: string, total: number): void {
    this.batches.set(batchId, { total, cancelled: false, results: new Map(), claims: new Map() });
  }

  cancel(batchId: string): void {
    this.batch(batchId).cancelled = true;
  }

  async claim(ref: ItemRef, fence: number, expiresAt: number, started?: EventDraft): Promise<ClaimStatus> {
    const b = this.batch(ref.batchId);
    if (b.results.has(ref.index)) return 'recorded';
    if (b.cancelled) return 'cancelled';
    if (expiresAt <= this.now()) return 'stale';
    b.claims.set(ref.index, { fence, expiresAt });
    if (started && this.publishTo) await this.publishTo.publish(started);
    return 'claimed';
  }

  async extendClaim(ref: ItemRef, fence: number, expiresAt: number): Promise<ClaimExtension> {
    const b = this.batch(ref.batchId);
    if (b.cancelled) return 'cancelled';
    if (b.claims.get(ref.index)?.fence !== fence) return 'stale';
    b.claims.set(ref.index, { fence, expiresAt });
    return 'extended';
  }

  async record(ref: ItemRef, fence: number, result: ItemResult, done?: DoneEvents): Promise<RecordOutcome> {
    const b = this.batch(ref.batchId);
    const status = b.results.has(ref.index)
      ? 'duplicate'
      : b.cancelled
        ? 'cancelled'
        : this.mayWrite(b.claims.get(ref.index), fence)
          ? 'recorded'
          : 'stale';
    if (status === 'recorded') b.results.set(ref.index, result);
    const batch = this.progressOf(b);
    if (status !== 'recorded' || !done || !this.publishTo) return { status, batch };
    const { total, completed, failed } = batch;
    const progress = { total, completed, failed };
    await this.publishTo.publish({ ...done.item, data: { ...done.item.data, progress } }, done.itemDedupeKey);
    if (batch.done) {
      await this.publishTo.publish(
        { type: 'batch.completed', batchId: ref.batchId, at: done.at, data: progress },
        done.batchDedupeKey,
      );
    }
    return { status, batch, published: true };
  }

  async get(ref: ItemRef): Promise<ItemResult | null> {
    return this.batches.get(ref.batchId)?.results.get(ref.index) ?? null;
  }

  async progress(batchId: string): Promise<BatchProgress | null> {
    const b = this.batches.get(batchId);
    return b ? this.progressOf(b) : null;
  }

  async isCancelled(batchId: string): Promise<boolean> {
    return this.batches.get(batchId)?.cancelled ?? false;
  }

  /** -1 (abandoned) always; 0 (no lease) only without a live claim; else only the live latest claim. */
  private mayWrite(claim: { fence: number; expiresAt: number } | undefined, fence: number): boolean {
    const live = claim !== undefined && claim.expiresAt > this.now();
    if (fence === ABANDONED_FENCE) return true;
    if (fence === NO_FENCE) return !live;
    return live && claim.fence === fence;
  }

  private batch(batchId: string): Batch {
    const b = this.batches.get(batchId);
    if (!b) throw new NonRetryableError('BATCH_NOT_FOUND', `batch "${batchId}" does not exist`);
    return b;
  }

  private progressOf(b: Batch): BatchProgress {
    const all = [...b.results.values()];
    const completed = all.filter((r) => r.state === 'completed').length;
    const failed = all.length - completed;
    return { total: b.total, completed, failed, done: completed + failed >= b.total };
  }
}
