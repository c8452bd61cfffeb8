/**
 * Webhooks do not hold up items: with a receiver that never answers, a real batch (worker,
 * launcher, Chromium) completes while its deliveries are still in flight (README "Webhooks").
 */
import { createServer, type ServerResponse } from 'node:http';
import type { Step } from '@fleet/contracts';
import { listenOnLoopback, waitFor } from '@fleet/testing';
import { RedisWebhookStore, type RunningWebhooks } from '@fleet/webhooks';
import { startTestWebhooks } from '@fleet/webhooks/testing';
import { Fleet } from './harness.js';

let fleet: Fleet;
let webhooks: RunningWebhooks | undefined;
const held: ServerResponse[] = [];
let receiver: { port: number; close(): Promise<void> };

beforeAll(async () => {
  fleet = await Fleet.start({ profiles: 2 });
  // Reads every request and never answers it.
  receiver = await listenOnLoopback(createServer((req, res) => req.resume().on('end', () => held.push(res))));
});
afterAll(async () => {
  // The receiver first: its sockets close, so the hanging requests end and the worker can stop.
  await receiver?.close();
  await webhooks?.close();
  await fleet?.close();
});

it('completes a batch while its webhook receiver hangs', async () => {
  const store = new RedisWebhookStore(fleet.redis, fleet.prefix, { retentionSec: 600 });
  await store.rotateSecret('e2e');
  // A timeout far beyond the batch: every delivery is still hanging when the batch is done.
  webhooks = await startTestWebhooks(
    fleet.redis,
    fleet.prefix,
    { attempts: 1, timeoutMs: 600_000, concurrency: 2, allowedTargets: [`127.0.0.1:${receiver.port}`] },
    fleet.logger,
  );
  await fleet.startWorker({ workerConcurrency: 2 });
  const steps: Step[] = [
    { goto: `${fleet.site.url}/?item={{n}}` },
    { extract: { name: 'heading', selector: '#heading' } },
  ];
  const items = Array.from({ length: 6 }, (_, n) => ({ n }));
  // The webhook is noted before the items are queued, as the API does.
  const batchId = `wh${Date.now()}`;
  await store.setBatchWebhook(batchId, 'e2e', {
    url: `http://127.0.0.1:${receiver.port}/hook`,
    events: ['item.completed', 'batch.completed'],
  });
  await fleet.submit(steps, items, { batchId });
  await waitFor('the receiver to hold deliveries', () => held.length >= 2, { timeoutMs: 60_000 });
  await fleet.waitForBatch(batchId);
  expect(await fleet.batches.get(batchId)).toMatchObject({ status: 'completed', completed: 6 });
  // Both delivery slots are taken by hanging requests, and none of them has an outcome.
  const deliveries = await store.deliveries(batchId);
  expect(deliveries.length).toBeGreaterThanOrEqual(6);
  expect(deliveries.every((d) => d.state === 'pending' && d.attempts === 0)).toBe(true);
  expect(held.length).toBe(2);
});
