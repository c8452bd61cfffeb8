import type { Checkpoint } from '@fleet/contracts';
import type { ItemRef } from './result-store.js';

/**
 * - `saved`: the checkpoint is the item's latest;
 * - `stale`: refused, this attempt's claim was taken over or expired: stop, write nothing more;
 * - `cancelled`: refused, the batch was cancelled.
 */
export type CheckpointSave = 'saved' | 'stale' | 'cancelled';

/**
 * A scenario item's last checkpoint (`ctx.checkpoint`), so an attempt after a crash resumes from
 * it. Writes are fenced like results: accepted only under the item's current, unexpired claim.
 * Checkpoints expire with their batch.
 */
export interface CheckpointStore {
  get(ref: ItemRef): Promise<Checkpoint | null>;
  save(ref: ItemRef, fence: number, checkpoint: Checkpoint): Promise<CheckpointSave>;
}
