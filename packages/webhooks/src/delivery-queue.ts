import type { FleetEvent } from '@fleet/contracts';
import type { FleetRedis } from '@fleet/redis';
import { Queue } from 'bullmq';

/** The deliveries' BullMQ queue; hash-tagged like `{items}`, so its keys share one Cluster slot. */
export const WEBHOOKS_QUEUE = '{webhooks}';
export const DELIVERY_JOB = 'deliver';

/** A delivery job: which event goes to which webhook. No URL or secret (read at delivery time). */
export interface DeliveryJob {
  batchId: string;
  deliveryId: string;
  webhookId: string;
  event: FleetEvent;
}

export interface DeliveryQueueOptions {
  attempts: number;
  backoffMs: number;
  /** How long finished jobs are kept (s): a replayed event's job id still finds them. */
  retentionSec: number;
}

export function createDeliveryQueue(connection: FleetRedis, prefix: string, options: DeliveryQueueOptions) {
  return new Queue<DeliveryJob>(WEBHOOKS_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: {
      attempts: options.attempts,
      backoff: { type: 'exponential', delay: options.backoffMs },
      removeOnComplete: { age: options.retentionSec },
      removeOnFail: { age: options.retentionSec },
    },
  });
}
