import type { ItemJob } from '@fleet/contracts';
import { createRedis, waitReady } from '@fleet/redis';
import { RedisServer, selfSignedTls, type TlsFiles } from '@fleet/testing';
import { createItemsQueue, createItemsWorker, enqueueItems } from './index.js';

// BullMQ duplicates the worker's connection for its blocking client: the copy must keep the
// password and the TLS options (the CA of a self-signed server) or the worker never gets a job.
describe('the items queue over TLS with a password', () => {
  let tls: TlsFiles;
  let server: RedisServer;
  beforeAll(async () => {
    tls = selfSignedTls();
    server = await RedisServer.start({ tls, password: 'queue-pass-7' });
  });
  afterAll(async () => {
    await server.close();
    tls.remove();
  });

  it('hands every job to a worker', async () => {
    const target = { kind: 'single', url: server.url, tlsCa: tls.caFile } as const;
    const producer = createRedis(target, { role: 'producer' });
    const consumer = createRedis(target, { role: 'worker' });
    await waitReady(producer);
    const queue = createItemsQueue(producer, 'secure');
    const jobs: ItemJob[] = [0, 1, 2].map((index) => ({
      batchId: 'b1',
      index,
      selector: { pool: 'default' },
      steps: [{ goto: 'https://example.test' }],
      itemTimeoutMs: 1000,
      stepTimeoutMs: 1000,
    }));
    await enqueueItems(queue, jobs, {});
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      const worker = createItemsWorker(
        async (job) => {
          seen.push(job.id!);
          if (seen.length === jobs.length) setImmediate(() => worker.close().then(resolve));
          return null;
        },
        { connection: consumer, prefix: 'secure', concurrency: 1 },
      );
    });
    expect(seen.sort()).toEqual(['b1.0', 'b1.1', 'b1.2']);
    await queue.close();
    producer.disconnect();
    consumer.disconnect();
  });
});
