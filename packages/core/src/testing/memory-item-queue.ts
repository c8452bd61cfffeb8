import type { ItemJob } from '@fleet/contracts';
import type { EnqueueOptions, ItemQueue } from '../ports/item-queue.js';

/**
 * Jobs in a map keyed like the BullMQ queue's job ids (batch id + index): adding the same item
 * twice keeps one. `start` marks a job running, so `removeQueued` leaves it, as the queue does.
 */
export class MemoryItemQueue implements ItemQueue {
  readonly jobs = new Map<string, { job: ItemJob; options: EnqueueOptions; running: boolean }>();
  /** Fail the next enqueue with this error after adding this many of its jobs (a submit cut short). */
  failAfter: { jobs: number; error: Error } | null = null;

  async enqueue(jobs: ItemJob[], options: EnqueueOptions = {}): Promise<number> {
    let added = 0;
    for (const job of jobs) {
      if (this.failAfter && added >= this.failAfter.jobs) {
        const { error } = this.failAfter;
        this.failAfter = null;
        throw error;
      }
      const key = jobKey(job.batchId, job.index);
      if (this.jobs.has(key)) continue;
      this.jobs.set(key, { job, options, running: false });
      added++;
    }
    return added;
  }

  async removeQueued(batchId: string, total: number): Promise<number> {
    let removed = 0;
    for (let index = 0; index < total; index++) {
      const key = jobKey(batchId, index);
      const entry = this.jobs.get(key);
      if (entry && !entry.running) {
        this.jobs.delete(key);
        removed++;
      }
    }
    return removed;
  }

  /** A worker took the job: it is running, no longer waiting. */
  start(batchId: string, index: number): void {
    const entry = this.jobs.get(jobKey(batchId, index));
    if (!entry) throw new Error(`MemoryItemQueue: no job for ${jobKey(batchId, index)}`);
    entry.running = true;
  }
}

function jobKey(batchId: string, index: number): string {
  return `${batchId}:${index}`;
}
