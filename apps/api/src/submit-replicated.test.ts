import type { BatchView } from '@fleet/contracts';
import { createRedis, Keys } from '@fleet/redis';
import { type ReplicatedPair, startReplicatedPair } from '@fleet/testing';
import { ACME_KEY, auth, batchBody, json, startTestApi, type TestApi } from './test-app.js';

// Behind Sentinel the API answers 202 only once a replica has the batch (REDIS_WAIT_REPLICAS).
// A master of its own with one real replica, which the second test kills. The wait is 3 s, not
// the 300 ms it was: on a loaded 2-core host the replica's ack once took longer (503 instead of 202).
let api: TestApi;
let pair: ReplicatedPair;

beforeAll(async () => {
  pair = await startReplicatedPair();
  api = await startTestApi(
    {},
    { replicaWait: { replicas: 1, timeoutMs: 3_000 } },
    { redisUrl: pair.master.url, commandTimeoutMs: 5000 },
  );
  await api.profiles.register({ id: 'p1', pool: 'default' });
}, 30_000);

afterAll(async () => {
  await api.close();
  await pair.close();
});

const submit = (headers: Record<string, string> = {}) =>
  api.app.inject({
    method: 'POST',
    url: '/v1/batches',
    headers: { ...auth(ACME_KEY), ...headers },
    payload: batchBody(2),
  });

describe('submit behind Sentinel (replicaWait)', () => {
  it('answers 202 once the replica has the batch', async () => {
    const res = await submit();
    expect(res.statusCode).toBe(202);
    const id = json<BatchView>(res).id;
    const onReplica = createRedis(pair.replica.url, { role: 'worker' });
    try {
      expect(await onReplica.hget(new Keys(api.prefix).batch(id).meta, 'total')).toBe('2');
    } finally {
      onReplica.disconnect();
    }
  });

  it('answers 503 when no replica confirms, naming the batch; the same Idempotency-Key then answers it', async () => {
    await pair.replica.stop('SIGKILL');
    try {
      const first = await submit({ 'idempotency-key': 'unconfirmed-1' });
      expect(first.statusCode).toBe(503);
      const error = json<{ error: { code: string; message: string; details: { batchId: string }[] } }>(
        first,
      ).error;
      expect(error.code).toBe('REDIS_UNAVAILABLE');
      expect(error.message).toContain('Idempotency-Key');
      const batchId = error.details[0]!.batchId;
      // Written on the master all the same: asking for it finds it, and a retry with the key answers it.
      const get = await api.app.inject({ url: `/v1/batches/${batchId}`, headers: auth(ACME_KEY) });
      expect(get.statusCode).toBe(200);
      const again = await submit({ 'idempotency-key': 'unconfirmed-1' });
      expect(again.statusCode).toBe(202);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(json<BatchView>(again).id).toBe(batchId);
    } finally {
      await pair.replica.resume();
    }
  });
});
