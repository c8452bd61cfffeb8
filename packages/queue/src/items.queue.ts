import { type ItemJob, itemId } from '@fleet/contracts';
import type { ItemQueue } from '@fleet/core';
import { type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { type ItemJobDefaults, itemJobOptions } from './job-options.js';
import { ITEM_JOB, ITEMS_QUEUE } from './names.js';

export const ADD_CHUNK = 500;

/**
 * The producer side of the items queue (the API). Give it a producer connection (fail fast): an
 * outage answers at once instead of queueing requests in memory.
 */
export function createItemsQueue(connection: Redis, prefix: string, defaults: Partial<ItemJobDefaults> = {}) {
  return new Queue<ItemJob, unknown, typeof ITEM_JOB>(ITEMS_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: itemJobOptions(defaults),
  });
}

export type ItemsQueue = ReturnType<typeof createItemsQueue>;

/**
 * Add a batch's items in chunks. The job id is the item id (`<batch>.<index>`), so adding the same
 * items again (a retried submit) creates no duplicates: BullMQ ignores an existing job id.
 */
export async function enqueueItems(
  queue: ItemsQueue,
  jobs: ItemJob[],
  options: Pick<JobsOptions, 'attempts' | 'priority' | 'backoff'> = {},
  chunk = ADD_CHUNK,
): Promise<number> {
  let added = 0;
  for (let i = 0; i < jobs.length; i += chunk) {
    const slice = jobs.slice(i, i + chunk);
    await queue.addBulk(
      slice.map((data) => ({
        name: ITEM_JOB,
        data,
        opts: { ...options, jobId: itemId(data.batchId, data.index) },
      })),
    );
    added += slice.length;
  }
  return added;
}

/** The core's ItemQueue port over the BullMQ items queue. */
export class BullItemQueue implements ItemQueue {
  constructor(
    private readonly queue: ItemsQueue,
    private readonly options: Pick<JobsOptions, 'attempts' | 'priority' | 'backoff'> = {},
  ) {}

  enqueue(jobs: ItemJob[]): Promise<number> {
    return enqueueItems(this.queue, jobs, this.options);
  }
}
