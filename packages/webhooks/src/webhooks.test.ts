import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRedis, Keys, RedisBatchStore, RedisEventStream, waitReady } from '@fleet/redis';
import {
  deletePrefix,
  freePort,
  listenOnLoopback,
  testPrefix,
  testRedisTarget,
  waitFor,
} from '@fleet/testing';
import { Queue } from 'bullmq';
import {
  DELIVERY_ID_HEADER,
  EVENT_HEADER,
  type RunningWebhooks,
  SIGNATURE_HEADER,
  WEBHOOKS_QUEUE,
} from './index.js';
import { startReceiver } from './test-receiver.js';
import { startTestWebhooks } from './testing.js';
import { RedisWebhookStore } from './webhook-store.js';

type Verify = (secret: string, header: string, body: string) => boolean;

/** The README's verification snippet, run as written (its import line supplied as arguments). */
function readmeVerifier(): Verify {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Webhooks'));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code) throw new Error('README "Webhooks" has no js block');
  const body = code.replace(/^import .*\n/m, '');
  return new Function('createHmac', 'timingSafeEqual', `${body}\nreturn verifyFleetSignature;`)(
    createHmac,
    timingSafeEqual,
  ) as Verify;
}

describe('webhooks: relay and delivery to a real receiver', () => {
  const prefix = testPrefix('wh');
  const redis = createRedis(testRedisTarget(), { role: 'producer' });
  const store = new RedisWebhookStore(redis, prefix, { retentionSec: 3600 });
  const events = new RedisEventStream(redis, prefix);
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let webhooks: RunningWebhooks;
  let secret: string;
  let batchNo = 0;
  let deadPort: number;

  beforeAll(async () => {
    await waitReady(redis, 10_000);
    receiver = await startReceiver();
    secret = await store.rotateSecret('alice');
    deadPort = await freePort();
    // Only the receiver's port (and a closed one) are let through; other loopback ports stay refused.
    webhooks = await startTestWebhooks(redis, prefix, {
      timeoutMs: 700,
      allowedTargets: [`127.0.0.1:${receiver.port}`, `127.0.0.1:${deadPort}`],
    });
  });
  afterAll(async () => {
    await webhooks.close();
    await receiver.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  /** A batch of alice's with its own webhook to `url`; publishes its batch.completed. */
  async function completeBatch(url: string): Promise<{ batchId: string; eventId: string }> {
    const batchId = `b${++batchNo}`;
    await store.setBatchWebhook(batchId, 'alice', { url });
    const eventId = await events.publish(
      { type: 'batch.completed', batchId, at: Date.now(), data: { completed: 1, failed: 0 } },
      `batch.completed:${batchId}`,
    );
    return { batchId, eventId: eventId! };
  }

  const deliveryOf = async (batchId: string) => (await store.deliveries(batchId))[0];

  it('signs each delivery so the README snippet verifies it, with an id and the event type', async () => {
    const { batchId, eventId } = await completeBatch(receiver.url('/signed?token=abc'));
    const [got] = await waitFor(
      'the delivery',
      () => receiver.to('/signed?token=abc').length === 1 && receiver.to('/signed?token=abc'),
    );
    const verify = readmeVerifier();
    expect(verify(secret, String(got!.headers[SIGNATURE_HEADER]), got!.body)).toBe(true);
    expect(verify('whsec_wrong', String(got!.headers[SIGNATURE_HEADER]), got!.body)).toBe(false);
    expect(verify(secret, String(got!.headers[SIGNATURE_HEADER]), `${got!.body} `)).toBe(false);
    expect(got!.headers[DELIVERY_ID_HEADER]).toBe(`${eventId}.batch`);
    expect(got!.headers[EVENT_HEADER]).toBe('batch.completed');
    expect(JSON.parse(got!.body)).toMatchObject({ id: eventId, type: 'batch.completed', batchId });
    const delivery = await waitFor('delivered', async () => {
      const d = await deliveryOf(batchId);
      return d?.state === 'delivered' && d;
    });
    expect(delivery).toMatchObject({
      attempts: 1,
      lastStatus: 200,
      lastError: null,
      event: 'batch.completed',
    });
    // The target is shown without its query (it may hold a token).
    expect(delivery.url).toBe(`http://127.0.0.1:${receiver.port}/signed`);
  });

  it('keeps the secret out of the job data', async () => {
    const queue = new Queue(WEBHOOKS_QUEUE, { connection: redis, prefix });
    const jobs = await queue.getJobs(['completed', 'failed', 'waiting', 'delayed', 'active']);
    await queue.close();
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) expect(JSON.stringify(job.data)).not.toContain(secret);
  });

  it('retries a receiver that answers 500 twice: the third attempt is delivered', async () => {
    receiver.on('/flaky', (count) => (count <= 2 ? 500 : 204));
    const { batchId } = await completeBatch(receiver.url('/flaky'));
    const delivery = await waitFor('delivered', async () => {
      const d = await deliveryOf(batchId);
      return d?.state === 'delivered' && d;
    });
    expect(delivery).toMatchObject({ attempts: 3, lastStatus: 204 });
    const ids = new Set(receiver.to('/flaky').map((r) => r.headers[DELIVERY_ID_HEADER]));
    expect(receiver.to('/flaky')).toHaveLength(3);
    expect(ids.size).toBe(1);
  });

  it('dead-letters a delivery to a closed port after the configured attempts', async () => {
    // Allowed, but nobody listens there: every attempt is refused by the kernel.
    const { batchId } = await completeBatch(`http://127.0.0.1:${deadPort}/gone`);
    const delivery = await waitFor('dead', async () => {
      const d = await deliveryOf(batchId);
      return d?.state === 'dead' && d;
    });
    expect(delivery.attempts).toBe(3);
    expect(delivery.lastStatus).toBeNull();
    expect(delivery.lastError).toMatch(/ECONNREFUSED/);
  });

  it('times out a slow receiver and retries it', async () => {
    receiver.on('/slow', (count) => (count === 1 ? 'hang' : 200));
    const { batchId } = await completeBatch(receiver.url('/slow'));
    const delivery = await waitFor('delivered after a timeout', async () => {
      const d = await deliveryOf(batchId);
      return d?.state === 'delivered' && d;
    });
    expect(delivery.attempts).toBe(2);
    expect(receiver.to('/slow')).toHaveLength(2);
  });

  it('refuses a private target that is not allowed, without sending it anything', async () => {
    let hits = 0;
    const other = await listenOnLoopback(
      createServer((_req, res) => {
        hits++;
        res.end();
      }),
    );
    try {
      const { batchId } = await completeBatch(`http://127.0.0.1:${other.port}/private`);
      const delivery = await waitFor('dead', async () => {
        const d = await deliveryOf(batchId);
        return d?.state === 'dead' && d;
      });
      expect(delivery.attempts).toBe(1);
      expect(delivery.lastError).toContain('WEBHOOK_ALLOWED_TARGETS');
      expect(hits).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('never delivers a replayed event twice', async () => {
    const { batchId } = await completeBatch(receiver.url('/replay'));
    await waitFor('delivered', async () => (await deliveryOf(batchId))?.state === 'delivered');
    // The event published again (same dedupe key) and the whole stream read again by the group.
    await events.publish(
      { type: 'batch.completed', batchId, at: Date.now(), data: {} },
      `batch.completed:${batchId}`,
    );
    await redis.xgroup('SETID', new Keys(prefix).events.stream, 'webhooks', '0');
    // A later event to a fresh path marks when the re-read has passed the replayed entries.
    const marker = await completeBatch(receiver.url('/after-replay'));
    await waitFor('the later event', async () => (await deliveryOf(marker.batchId))?.state === 'delivered');
    expect(receiver.to('/replay')).toHaveLength(1);
    expect(await store.deliveries(batchId)).toHaveLength(1);
  });

  it('delivers to a key-wide webhook for the events it asked for', async () => {
    const hook = await store.register('alice', receiver.url('/key-wide'), ['item.failed']);
    try {
      const batchId = `b${++batchNo}`;
      await new RedisBatchStore(redis, prefix).create({
        id: batchId,
        owner: 'alice',
        pool: 'default',
        total: 2,
      });
      await events.publish({
        type: 'item.completed',
        batchId,
        itemId: `${batchId}.0`,
        at: Date.now(),
        data: {},
      });
      await events.publish({
        type: 'item.failed',
        batchId,
        itemId: `${batchId}.1`,
        at: Date.now(),
        data: {},
      });
      await waitFor('the item.failed delivery', () => receiver.to('/key-wide').length === 1);
      const [got] = receiver.to('/key-wide');
      expect(got!.headers[EVENT_HEADER]).toBe('item.failed');
      expect(got!.headers[DELIVERY_ID_HEADER]).toMatch(new RegExp(`\\.${hook.id}$`));
    } finally {
      await store.remove(hook.id);
    }
  });
});
