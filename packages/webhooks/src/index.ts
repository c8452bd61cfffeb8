// @fleet/webhooks: signed webhook deliveries (README "Webhooks"). The notifier runs the relay and
// the delivery worker; the API registers webhooks, secrets and batch webhooks in the store.
export {
  createDeliveryQueue,
  DELIVERY_JOB,
  type DeliveryJob,
  type DeliveryQueueOptions,
  WEBHOOKS_QUEUE,
} from './delivery-queue.js';
export { createDeliveryWorker, type DeliveryWorkerOptions } from './delivery-worker.js';
export {
  DELIVERY_ID_HEADER,
  EVENT_HEADER,
  newWebhookSecret,
  SIGNATURE_HEADER,
  signatureHeader,
} from './signature.js';
export {
  type WebhookDeliverySettings,
  webhookDeliverySchema,
  webhookTargetSchema,
} from './webhook-config.js';
export { type PostOutcome, postWebhook } from './webhook-post.js';
export { WebhookRelay, type WebhookRelayOptions } from './webhook-relay.js';
export {
  RedisWebhookStore,
  WEBHOOK_RETENTION_SEC,
  type WebhookStoreOptions,
  type WebhookTarget,
} from './webhook-store.js';
export { type RunningWebhooks, startWebhooks, type WebhookSettings } from './webhooks-service.js';
