import { type ItemJob, itemId } from '@fleet/contracts';
import type { EnqueueOptions, ItemQueue } from '@fleet/core';
import { startItemSpan } from '@fleet/telemetry';
import { type JobsOptions, Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { type ItemJobDefaults, itemJobOptions } from './job-options.js';
import { ITEM_JOB, ITEMS_QUEUE, scenarioQueueName } from './names.js';

export const ADD_CHUNK = 500;

/**
 * The producer side of the items queue (the API). Give it a producer connection (fail fast): an
 * outage answers at once instead of queueing requests in memory. `name`: a scenario's queue
 * (`scenarioQueueName`), same job options.
 */
export function createItemsQueue(
  connection: Redis | Cluster,
  prefix: string,
  defaults: Partial<ItemJobDefaults> = {},
  name: string = ITEMS_QUEUE,
) {
  return new Queue<ItemJob, unknown, typeof ITEM_JOB>(name, {
    connection,
    prefix,
    defaultJobOptions: itemJobOptions(defaults),
  });
}

export type ItemsQueue = ReturnType<typeof createItemsQueue>;

/**
 * The items queue and the scenario queues beside it (opened on first use, same connection, prefix
 * and job options): a steps item goes to `{items}`, a scenario item to its scenario's queue.
 */
export class ItemQueues {
  private readonly scenarios = new Map<string, ItemsQueue>();

  constructor(readonly items: ItemsQueue) {}

  /** The queue of a scenario (`name@version`), or the items queue for null/undefined. */
  of(scenarioId: string | null | undefined): ItemsQueue {
    if (!scenarioId) return this.items;
    let queue = this.scenarios.get(scenarioId);
    if (!queue) {
      queue = new Queue<ItemJob, unknown, typeof ITEM_JOB>(scenarioQueueName(scenarioId), {
        connection: this.items.opts.connection as Redis | Cluster,
        prefix: this.items.opts.prefix,
        defaultJobOptions: this.items.defaultJobOptions,
      });
      queue.on('error', () => {}); // the items queue's owner reports connection trouble
      this.scenarios.set(scenarioId, queue);
    }
    return queue;
  }

  /** Where a job goes. */
  ofJob(job: ItemJob): ItemsQueue {
    return this.of(job.scenario ? `${job.scenario.name}@${job.scenario.version}` : null);
  }

  /** The items queue and every scenario queue opened so far. */
  opened(): ItemsQueue[] {
    return [this.items, ...this.scenarios.values()];
  }

  /** Closes the scenario queues (the items queue is its creator's to close). */
  async close(): Promise<void> {
    await Promise.all([...this.scenarios.values()].map((q) => q.close().catch(() => undefined)));
    this.scenarios.clear();
  }
}

/**
 * Add a batch's items in chunks. The job id is the item id (`<batch>.<index>`), so adding the same
 * items again (a retried submit) creates no duplicates: BullMQ ignores an existing job id (and
 * the job keeps the traceparent of its first add).
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
    // Each item starts its own trace here; its job carries the traceparent (README "Tracing").
    const spans = slice.map((data) => startItemSpan(data.batchId, data.index, queue.name));
    let failure: unknown;
    try {
      await queue.addBulk(
        slice.map((data, k) => {
          const traceparent = spans[k]?.traceparent;
          return {
            name: ITEM_JOB,
            data: traceparent ? { ...data, traceparent } : data,
            opts: { ...options, jobId: itemId(data.batchId, data.index) },
          };
        }),
      );
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      for (const span of spans) span.end(failure);
    }
    added += slice.length;
  }
  return added;
}

/**
 * Removes a batch's item jobs that no worker holds (waiting, delayed, prioritised — and finished
 * ones, whose results live in the result store anyway); running jobs are locked and stay, for the
 * cancel bus to abort. Returns how many were removed.
 */
export async function removeBatchItems(
  queue: ItemsQueue,
  batchId: string,
  total: number,
  chunk = 200,
): Promise<number> {
  return (await removeBatchItemIds(queue, batchId, total, chunk)).length;
}

/** `removeBatchItems`, answering the ids of the jobs it removed. */
export async function removeBatchItemIds(
  queue: ItemsQueue,
  batchId: string,
  total: number,
  chunk = 200,
): Promise<string[]> {
  const removed: string[] = [];
  for (let i = 0; i < total; i += chunk) {
    const ids = Array.from({ length: Math.min(chunk, total - i) }, (_, k) => itemId(batchId, i + k));
    // BullMQ's remove answers 1 for a job that does not exist: count only jobs that did.
    const jobs = await Promise.all(ids.map((id) => queue.getJob(id)));
    const present = ids.filter((_, k) => jobs[k] !== undefined);
    const codes = await Promise.all(present.map((id) => queue.remove(id, { removeChildren: false })));
    removed.push(...present.filter((_, k) => codes[k] === 1));
  }
  return removed;
}

/** The core's ItemQueue port over the BullMQ items queue and the scenario queues. */
export class BullItemQueue implements ItemQueue {
  private readonly queues: ItemQueues;

  constructor(
    queue: ItemsQueue | ItemQueues,
    private readonly options: Pick<JobsOptions, 'attempts' | 'priority' | 'backoff'> = {},
  ) {
    this.queues = queue instanceof ItemQueues ? queue : new ItemQueues(queue);
  }

  enqueue(jobs: ItemJob[], options: EnqueueOptions = {}): Promise<number> {
    const opts: Pick<JobsOptions, 'attempts' | 'priority' | 'backoff'> = { ...this.options };
    if (options.attempts !== undefined) opts.attempts = options.attempts;
    if (options.priority !== undefined) opts.priority = options.priority;
    if (options.backoffMs !== undefined) {
      opts.backoff = { type: 'exponential', delay: options.backoffMs, jitter: 0.5 };
    }
    // A batch's items all go to one queue (its scenario's, or the items queue).
    const first = jobs[0];
    return first ? enqueueItems(this.queues.ofJob(first), jobs, opts) : Promise.resolve(0);
  }

  removeQueued(batchId: string, total: number, scenario?: string | null): Promise<number> {
    return removeBatchItems(this.queues.of(scenario), batchId, total);
  }
}
