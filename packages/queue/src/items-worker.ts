import type { ItemJob } from '@fleet/contracts';
import { type Job, type Processor, Worker } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { ITEM_JOB, ITEMS_QUEUE } from './names.js';

export interface ItemsWorkerOptions {
  /**
   * A worker-role connection (`maxRetriesPerRequest: null`, on a Cluster in its node options, where
   * BullMQ checks it); BullMQ duplicates it for blocking calls. A `FleetRedis` of `@fleet/redis`.
   */
  connection: Redis | Cluster;
  prefix: string;
  concurrency: number;
  /** How long a job's lock lives without renewal; a crashed worker's job is retried after it. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /**
   * Stalls after which BullMQ fails the job by itself (`job stalled more than allowable limit`).
   * Fleet decides earlier, by where the stalls happened (the worker's ITEM_MAX_STALLS): this is
   * only the safety net for an item whose workers keep vanishing on too few hosts.
   */
  maxStalledCount?: number;
  autorun?: boolean;
  /** The queue to consume: the items queue (default) or a scenario's (`scenarioQueueName`). */
  queueName?: string;
}

export type ItemProcessor = (
  job: Job<ItemJob>,
  token: string | undefined,
  signal: AbortSignal,
) => Promise<unknown>;

/**
 * The consumer side. Jobs whose lock BullMQ fails to renew are aborted through their signal: the
 * job may already run elsewhere, so this worker must stop driving the profile and write nothing.
 */
export function createItemsWorker(processor: ItemProcessor, options: ItemsWorkerOptions): Worker<ItemJob> {
  const handlers: Record<string, ItemProcessor> = { [ITEM_JOB]: processor };
  const queueName = options.queueName ?? ITEMS_QUEUE;
  const dispatch: Processor<ItemJob> = async (job, token, signal) => {
    const handler = handlers[job.name];
    if (!handler) throw new Error(`no handler for job name "${job.name}" on ${queueName}`);
    return handler(job, token, signal ?? new AbortController().signal);
  };
  const worker = new Worker<ItemJob>(queueName, dispatch, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 10,
    autorun: options.autorun ?? true,
  });
  worker.on('lockRenewalFailed', (jobIds: string[]) => {
    for (const id of jobIds) worker.cancelJob(id, 'lock lost');
  });
  return worker;
}
