import type { Checkpoint } from '@fleet/contracts';
import type { CheckpointSave, CheckpointStore } from '../ports/checkpoint-store.js';
import type { ItemRef } from '../ports/result-store.js';
import type { MemoryResultStore } from './memory-result-store.js';

/**
 * Checkpoints with the Redis store's rules (packages/redis/src/lua/checkpoint-3.lua): a write is
 * accepted only under the item's latest, unexpired claim (read from the MemoryResultStore), and
 * refused for a cancelled batch.
 */
export class MemoryCheckpointStore implements CheckpointStore {
  readonly saved = new Map<string, Checkpoint>();

  constructor(
    private readonly results: MemoryResultStore,
    private readonly now: () => number = () => Date.now(),
  ) {}

  async get(ref: ItemRef): Promise<Checkpoint | null> {
    return this.saved.get(`${ref.batchId}.${ref.index}`) ?? null;
  }

  async save(ref: ItemRef, fence: number, checkpoint: Checkpoint): Promise<CheckpointSave> {
    const batch = this.results.batches.get(ref.batchId);
    if (!batch) return 'stale';
    if (batch.cancelled) return 'cancelled';
    const claim = batch.claims.get(ref.index);
    if (!claim || claim.fence !== fence || claim.expiresAt <= this.now()) return 'stale';
    this.saved.set(`${ref.batchId}.${ref.index}`, checkpoint);
    return 'saved';
  }
}
