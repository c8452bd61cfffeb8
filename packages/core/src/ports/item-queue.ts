import type { ItemJob } from '@fleet/contracts';

/** Per-batch queue settings (defaults come from the queue). */
export interface EnqueueOptions {
  attempts?: number;
  backoffMs?: number;
  /** 1 runs first. */
  priority?: number;
}

/** Where item jobs go (BullMQ in production). Adding the same item twice must not duplicate it. */
export interface ItemQueue {
  enqueue(jobs: ItemJob[], options?: EnqueueOptions): Promise<number>;
  /**
   * Removes the batch's items that are waiting (not running); returns how many were removed.
   * `scenario` (`name@version`): the batch runs that code scenario (its items wait in its queue).
   */
  removeQueued(batchId: string, total: number, scenario?: string | null): Promise<number>;
}
