import type { LoggerPort } from '@fleet/core';
import type { FleetRedis } from '@fleet/redis';
import type { TargetPolicy } from '@fleet/targets';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { DELIVERY_JOB, type DeliveryJob, WEBHOOKS_QUEUE } from './delivery-queue.js';
import { DELIVERY_ID_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature.js';
import { postWebhook } from './webhook-post.js';
import type { RedisWebhookStore } from './webhook-store.js';

export interface DeliveryWorkerOptions {
  /** A worker-role connection (`maxRetriesPerRequest: null`). */
  connection: FleetRedis;
  prefix: string;
  store: RedisWebhookStore;
  policy: TargetPolicy;
  timeoutMs: number;
  concurrency: number;
  logger: LoggerPort;
}

/**
 * Sends deliveries: sign, POST, note the outcome. A 2xx is `delivered`; anything else is thrown so
 * BullMQ retries with exponential backoff (`retrying`), until the job's last attempt, which leaves
 * it `dead` (the dead letter: failed in the queue, kept, shown by GET /v1/batches/:id/webhooks).
 * A target the SSRF guard refuses, a removed webhook or a key without a secret are dead at once.
 */
export function createDeliveryWorker(options: DeliveryWorkerOptions): Worker<DeliveryJob> {
  const { store, logger } = options;
  const processor = async (job: Job<DeliveryJob>): Promise<void> => {
    if (job.name !== DELIVERY_JOB) throw new UnrecoverableError(`unknown job name ${job.name}`);
    const { batchId, deliveryId, webhookId, event } = job.data;
    const attempt = job.attemptsMade + 1;
    const lastAttempt = attempt >= (job.opts.attempts ?? 1);
    const note = (state: 'delivered' | 'retrying' | 'dead', status: number | null, error: string | null) =>
      store.noteAttempt(batchId, deliveryId, { state, attempts: attempt, status, error });
    const target = await store.target(batchId, webhookId);
    const secret = target ? await store.secretOf(target.owner) : null;
    if (!target || !secret) {
      const why = target ? 'the API key has no webhook secret' : 'the webhook was removed';
      await note('dead', null, why);
      throw new UnrecoverableError(why);
    }
    const body = JSON.stringify(event);
    const outcome = await postWebhook({
      url: target.url,
      body,
      timeoutMs: options.timeoutMs,
      policy: options.policy,
      headers: {
        [SIGNATURE_HEADER]: signatureHeader(secret, body, Math.floor(Date.now() / 1000)),
        [DELIVERY_ID_HEADER]: deliveryId,
        [EVENT_HEADER]: event.type,
        'user-agent': 'Fleet-Webhooks/1',
      },
    });
    if (outcome.kind === 'answered' && outcome.status >= 200 && outcome.status < 300) {
      await note('delivered', outcome.status, null);
      return;
    }
    const status = outcome.kind === 'answered' ? outcome.status : null;
    const error = outcome.kind === 'answered' ? `the receiver answered ${outcome.status}` : outcome.error;
    const dead = lastAttempt || outcome.kind === 'blocked';
    await note(dead ? 'dead' : 'retrying', status, error);
    logger.info({ batchId, deliveryId, attempt, status, error, dead }, 'webhook delivery failed');
    throw dead ? new UnrecoverableError(error) : new Error(error);
  };
  return new Worker<DeliveryJob>(WEBHOOKS_QUEUE, processor, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    // A POST is bounded by timeoutMs; the lock must outlast it.
    lockDuration: Math.max(30_000, options.timeoutMs * 2),
  });
}
