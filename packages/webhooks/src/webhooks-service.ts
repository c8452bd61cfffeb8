import { hostname } from 'node:os';
import type { LoggerPort } from '@fleet/core';
import { type FleetRedis, Keys, RedisBatchStore, type SecretBox } from '@fleet/redis';
import { TargetPolicy } from '@fleet/targets';
import { createDeliveryQueue } from './delivery-queue.js';
import { createDeliveryWorker } from './delivery-worker.js';
import { WebhookRelay } from './webhook-relay.js';
import { RedisWebhookStore } from './webhook-store.js';

export interface WebhookSettings {
  attempts: number;
  backoffMs: number;
  timeoutMs: number;
  concurrency: number;
  /** WEBHOOK_ALLOWED_TARGETS: private targets deliveries may reach. */
  allowedTargets: readonly string[];
  /** How long delivery records and finished jobs are kept (s). */
  retentionSec: number;
}

export interface WebhookConnections {
  /** Commands (store, queue): a producer-role connection. */
  redis: FleetRedis;
  /** The relay's blocking XREADGROUP: a worker-role connection of its own. */
  reader: FleetRedis;
  /** BullMQ's worker: a worker-role connection of its own. */
  worker: FleetRedis;
}

export interface RunningWebhooks {
  close(): Promise<void>;
}

/** The relay and the delivery worker, as the notifier runs them. Owns `reader` and `worker`. */
export async function startWebhooks(
  connections: WebhookConnections,
  prefix: string,
  settings: WebhookSettings,
  deps: { box: SecretBox | null; logger: LoggerPort; consumer?: string },
): Promise<RunningWebhooks> {
  const store = new RedisWebhookStore(
    connections.redis,
    prefix,
    { retentionSec: settings.retentionSec },
    deps.box,
  );
  const batches = new RedisBatchStore(connections.redis, prefix);
  const queue = createDeliveryQueue(connections.redis, prefix, settings);
  const relay = new WebhookRelay(connections.reader, store, queue, {
    streamKey: new Keys(prefix).events.stream,
    group: 'webhooks',
    consumer: deps.consumer ?? `${hostname()}-${process.pid}`,
    ownerOf: async (batchId) => (await batches.get(batchId))?.owner ?? null,
    claimIdleMs: 30_000,
    logger: deps.logger,
  });
  const worker = createDeliveryWorker({
    connection: connections.worker,
    prefix,
    store,
    policy: new TargetPolicy({ allowed: settings.allowedTargets }),
    timeoutMs: settings.timeoutMs,
    concurrency: settings.concurrency,
    logger: deps.logger,
  });
  worker.on('error', (err) => deps.logger.warn({ err }, 'webhook worker error'));
  await relay.start();
  return {
    async close() {
      await relay.stop();
      await worker.close();
      await queue.close();
      connections.worker.disconnect();
    },
  };
}
