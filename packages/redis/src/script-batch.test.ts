import { fleetEventSchema } from '@fleet/contracts';
import { deletePrefix, RedisServer, testPrefix, testRedisMode, testRedisTarget } from '@fleet/testing';
import { RedisBatchStore } from './batch-store.js';
import { createRedis, type FleetRedis, waitReady } from './connection.js';
import { RedisEventStream } from './events-stream.js';
import { Keys } from './keys.js';
import { RedisResultStore } from './result-store.js';
import { ScriptBatcher } from './script-batch.js';
import { RedisStallLedger } from './stall-ledger.js';
import { itemResult, later } from './test-helpers.js';

// Calls of one script made in one turn of the event loop go as one call of its batched form
// (issue 17; DESIGN.md section 4, "The per-item Redis path"). Each call must answer exactly as it
// would alone. On a Cluster the stores do not batch (one script cannot span the batches' slots).
const single = testRedisMode() === 'single';
const prefix = testPrefix('batched');
const redis = createRedis(testRedisTarget(), { role: 'worker' });
const keys = new Keys(prefix);
const batches = new RedisBatchStore(redis, prefix);
const results = new RedisResultStore(redis, prefix, { retentionSec: 3600 });
const events = new RedisEventStream(redis, prefix);
const ledger = new RedisStallLedger(redis, prefix, 60);
afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

/** The commands this connection sends from now on (our own client, observed: no Redis is faked). */
function sent(connection: FleetRedis): { names: string[]; firstArgs: unknown[]; stop: () => void } {
  type Sent = { name: string; args: unknown[] };
  const names: string[] = [];
  const firstArgs: unknown[] = [];
  const target = connection as unknown as { sendCommand: (command: Sent) => unknown };
  const original = target.sendCommand;
  target.sendCommand = function (this: unknown, command: Sent) {
    names.push(command.name);
    firstArgs.push(command.args[0]);
    return original.call(this, command);
  };
  return { names, firstArgs, stop: () => (target.sendCommand = original) };
}

let n = 0;

describe('script batching (one Redis)', () => {
  if (!results.publishesEvents) {
    it('is off on a Cluster: claims and records go one by one', () => expect(single).toBe(false));
    return;
  }

  it('sends the claims and records of many items made in one turn as one script call each, each answered as alone', async () => {
    const batch = await batches.create({ id: `many${++n}`, pool: 'default', total: 6 });
    const ref = (index: number) => ({ batchId: batch.id, index });
    const started = (index: number) => ({
      type: 'item.started' as const,
      batchId: batch.id,
      itemId: `${batch.id}.${index}`,
      profileId: 'p1',
      at: 1,
      data: { attempt: 1, warm: true },
    });
    const done = (index: number) => ({
      item: {
        type: 'item.completed' as const,
        batchId: batch.id,
        itemId: `${batch.id}.${index}`,
        profileId: 'p1',
        at: 2,
        data: { attempts: 1 },
      },
      itemDedupeKey: `${batch.id}.${index}:done`,
      at: 3,
      batchDedupeKey: `${batch.id}:completed`,
    });
    // Item 5 is recorded already: its claim must come back 'recorded', publishing nothing.
    await results.claim(ref(5), 50, later());
    await results.record(ref(5), 50, itemResult('completed', 'before'), done(5));

    const watch = sent(redis);
    const claims = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((i) => results.claim(ref(i), 10 + i, later(), started(i))),
    );
    watch.stop();
    expect(claims).toEqual(['claimed', 'claimed', 'claimed', 'claimed', 'claimed', 'recorded']);
    expect(watch.names).toEqual(['evalsha']);

    // In one turn: good writes, a stale fence, a duplicate of the same item, and the batch's last.
    const record = sent(redis);
    const outcomes = await Promise.all([
      results.record(ref(0), 10, itemResult('completed', 'a'), done(0)),
      results.record(ref(1), 99, itemResult('completed', 'stale'), done(1)),
      results.record(ref(1), 11, itemResult('completed', 'b'), done(1)),
      results.record(ref(1), 11, itemResult('completed', 'again'), done(1)),
      results.record(ref(2), 12, itemResult('completed', 'c'), done(2)),
      results.record(ref(3), 13, itemResult('completed', 'd'), done(3)),
      results.record(ref(4), 14, itemResult('completed', 'e'), done(4)),
    ]);
    record.stop();
    expect(record.names).toEqual(['evalsha']);
    expect(outcomes.map((o) => o.status)).toEqual([
      'recorded',
      'stale',
      'recorded',
      'duplicate',
      'recorded',
      'recorded',
      'recorded',
    ]);
    // Each counts its own write, in the order the calls were made.
    expect(outcomes.map((o) => o.batch.completed)).toEqual([2, 2, 3, 3, 4, 5, 6]);
    expect(outcomes.at(-1)?.batch.done).toBe(true);
    expect((await results.get(ref(1)))?.data).toEqual({ note: 'b' });

    const seen = (await events.readAfter('-', 100_000))
      .filter((e) => e.batchId === batch.id)
      .map((e) => fleetEventSchema.parse(e));
    const types = seen.map((e) => `${e.type}${'itemId' in e && e.itemId ? ` ${e.itemId}` : ''}`);
    // item 5's started and completed came before the batched calls; the refused calls publish nothing.
    expect(types.filter((t) => t.startsWith('item.started'))).toHaveLength(5);
    expect(types.filter((t) => t.startsWith('item.completed'))).toHaveLength(6);
    expect(types.filter((t) => t === 'batch.completed')).toHaveLength(1);
    expect(types.at(-1)).toBe('batch.completed');
  });

  it('keeps one call’s error its own', async () => {
    const batch = await batches.create({ id: `err${++n}`, pool: 'default', total: 3 });
    const bad = await batches.create({ id: `err${++n}`, pool: 'default', total: 3 });
    // The stall notes of `bad` are not a hash: its note fails (WRONGTYPE), the others must not.
    await redis.set(keys.batch(bad.id).stalls, 'not a hash');
    const take = { attemptsStarted: 1, stalledCounter: 0, host: 'h1' };
    const watch = sent(redis);
    const [first, broken, last] = await Promise.allSettled([
      ledger.noteTake({ batchId: batch.id, index: 0 }, take),
      ledger.noteTake({ batchId: bad.id, index: 0 }, take),
      ledger.noteTake({ batchId: batch.id, index: 1 }, take),
    ]);
    watch.stop();
    expect(watch.names).toEqual(['evalsha']);
    expect(first).toEqual({ status: 'fulfilled', value: { hosts: [], cancelled: false } });
    expect(last).toEqual({ status: 'fulfilled', value: { hosts: [], cancelled: false } });
    expect(broken.status).toBe('rejected');
    expect(String((broken as PromiseRejectedResult).reason)).toMatch(/WRONGTYPE/);
    expect(await redis.hget(keys.batch(batch.id).stalls, '1')).toBe('1|0|h1');
  });

  it('sends a lone call as the plain script, and splits a turn of more than 64 calls', async () => {
    const batch = await batches.create({ id: `split${++n}`, pool: 'default', total: 150 });
    const take = { attemptsStarted: 1, stalledCounter: 0, host: 'h1' };
    const alone = sent(redis);
    await ledger.noteTake({ batchId: batch.id, index: 0 }, take);
    alone.stop();
    expect(alone.names).toEqual(['evalsha']);
    expect(alone.firstArgs).toEqual(scriptShas(redis, ['fleetNoteTake']));

    const many = sent(redis);
    const noted = await Promise.all(
      Array.from({ length: 150 }, (_, i) => ledger.noteTake({ batchId: batch.id, index: i }, take)),
    );
    many.stop();
    expect(noted.every((t) => t.hosts.length === 0 && !t.cancelled)).toBe(true);
    expect(many.names).toEqual(['evalsha', 'evalsha', 'evalsha']); // 64 + 64 + 22
    expect(new Set(many.firstArgs)).toEqual(new Set(scriptShas(redis, ['fleetNoteTakeMany'])));
    expect(await redis.hlen(keys.batch(batch.id).stalls)).toBe(150);
  });

  it('fails the whole batch with an error of the server (READONLY on a replica), as the plain script would', async () => {
    // A client behind Sentinel reconnects and resends on READONLY (connection.ts): that needs the
    // error on the call itself, not inside one item's answer.
    const primary = await RedisServer.start();
    const replica = await RedisServer.start({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    const onReplica = createRedis(replica.url, { role: 'producer' });
    try {
      await waitReady(onReplica, 5000);
      const replicaLedger = new RedisStallLedger(onReplica, prefix, 60);
      const take = { attemptsStarted: 1, stalledCounter: 0, host: 'h1' };
      const watch = sent(onReplica);
      const outcomes = await Promise.allSettled(
        [0, 1, 2].map((index) => replicaLedger.noteTake({ batchId: 'r1', index }, take)),
      );
      watch.stop();
      expect(watch.names).toEqual(['evalsha']);
      for (const o of outcomes) {
        expect(o.status).toBe('rejected');
        expect(String((o as PromiseRejectedResult).reason)).toMatch(/^ReplyError: READONLY/);
      }
    } finally {
      onReplica.disconnect();
      await replica.stop();
      await primary.stop();
    }
  });

  it('refuses a call with the wrong number of keys before sending anything', async () => {
    const batcher = new ScriptBatcher<string[]>(redis, 'fleetNoteTake', 2);
    await expect(batcher.call(['only-one'], [])).rejects.toThrow(/takes 2 keys, got 1/);
  });
});

/** The SHA1 of each named script as ioredis defined it on the connection. */
function scriptShas(connection: FleetRedis, commands: string[]): string[] {
  const scripts = (connection as unknown as { scriptsSet: Record<string, { sha: string }> }).scriptsSet;
  return commands.map((c) => scripts[c]!.sha);
}
