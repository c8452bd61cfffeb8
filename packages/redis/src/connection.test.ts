import { RedisServer, sleep } from '@fleet/testing';
import {
  checkEvictionPolicy,
  createRedis,
  mastersOf,
  nodeOptionsOf,
  scanKeys,
  subscriberOf,
  waitReady,
} from './connection.js';
import { Keys } from './keys.js';
import { loadScripts } from './scripts.js';

function memoryLogger() {
  const warnings: { obj: object; msg: string }[] = [];
  const quiet = () => {};
  return {
    warnings,
    debug: quiet,
    info: quiet,
    warn: (obj: object, msg: string) => void warnings.push({ obj, msg }),
    error: quiet,
  };
}

describe('connections', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(() => server.close());

  it('a producer connection fails fast while Redis is down', async () => {
    const producer = createRedis(server.url, { role: 'producer', overrides: { disconnectTimeout: 10 } });
    producer.on('error', () => {});
    await waitReady(producer);
    await server.stop();
    // The command settles while the server is still down: it did not wait for Redis to come back.
    await expect(producer.get('k')).rejects.toThrow();
    producer.disconnect();
    await server.restart();
  });

  it('a worker connection waits through an outage and completes the command', async () => {
    const worker = createRedis(server.url, { role: 'worker' });
    worker.on('error', () => {});
    await waitReady(worker);
    await server.stop();
    const pending = worker.set('survived', '1');
    await sleep(300);
    await server.restart();
    await expect(pending).resolves.toBe('OK');
    expect(await worker.get('survived')).toBe('1');
    worker.disconnect();
  });

  it('warns when maxmemory-policy is not noeviction, and not when it is', async () => {
    const redis = createRedis(server.url, { role: 'worker' });
    const log = memoryLogger();
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
    expect(await checkEvictionPolicy(redis, log)).toBe('allkeys-lru');
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]?.msg).toMatch(/not "noeviction"/);
    await redis.config('SET', 'maxmemory-policy', 'noeviction');
    expect(await checkEvictionPolicy(redis, log)).toBe('noeviction');
    expect(log.warnings).toHaveLength(1);
    redis.disconnect();
  });
});

describe('helpers that work on a Redis and a Cluster alike (single node here)', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(() => server.close());

  it('scanKeys visits every key of the pattern in batches, mastersOf is the one node', async () => {
    const redis = createRedis(server.url, { role: 'worker' });
    await waitReady(redis);
    expect(await mastersOf(redis)).toEqual([redis]);
    for (let i = 0; i < 250; i++) await redis.set(`scan:{s${i}}:k`, '1');
    await redis.set('other', '1');
    const seen = new Set<string>();
    let batches = 0;
    for await (const keys of scanKeys(redis, 'scan:*', 100)) {
      batches++;
      for (const key of keys) seen.add(key);
    }
    expect(seen.size).toBe(250);
    expect(batches).toBeGreaterThan(1);
    redis.disconnect();
  });

  it('subscriberOf makes a connection that waits (even for a producer) and hears PUBLISH', async () => {
    const producer = createRedis(server.url, { role: 'producer', name: 'p' });
    await waitReady(producer);
    const sub = subscriberOf(producer, 'p:sub');
    const heard = new Promise<string>((resolve) =>
      sub.on('message', (_channel: string, text: string) => resolve(text)),
    );
    await sub.subscribe('ch');
    expect(nodeOptionsOf(sub).maxRetriesPerRequest).toBeNull();
    await producer.publish('ch', 'hello');
    expect(await heard).toBe('hello');
    sub.disconnect();
    producer.disconnect();
  });
});

describe('scripts and keys', () => {
  it('loads every script with its key count and expands includes', () => {
    const scripts = loadScripts();
    expect(scripts.map((s) => `${s.command}/${s.numberOfKeys}`).sort()).toEqual([
      'fleetAcquire/5',
      'fleetCancel/3',
      'fleetCheckpoint/3',
      'fleetClaim/3',
      'fleetClaimPublish/4',
      'fleetClaimPublishMany/undefined',
      'fleetCounts/4',
      'fleetExtendClaim/2',
      'fleetFairAdd/1',
      'fleetFairCancel/1',
      'fleetFairDone/1',
      'fleetFairPriority/1',
      'fleetFairTake/1',
      'fleetNoteTake/2',
      'fleetNoteTakeMany/undefined',
      'fleetPublish/2',
      'fleetQuarantine/5',
      'fleetReclaim/3',
      'fleetRecord/3',
      'fleetRecordPublish/6',
      'fleetRecordPublishMany/undefined',
      'fleetRegister/4',
      'fleetRelease/4',
      'fleetRenew/2',
      'fleetSiteAcquire/3',
      'fleetSiteRenew/1',
      'fleetSiteSlow/1',
      'fleetTallyError/1',
      'fleetUnquarantine/4',
      'fleetUnregister/5',
      'fleetUpdate/2',
    ]);
    for (const s of scripts) {
      expect(s.lua).not.toMatch(/@include/);
      expect(s.lua).toMatch(/KEYS\[1\]/); // each opens with its documented KEYS
    }
  });

  it('hash-tags every key of a pool with the pool, under the prefix', () => {
    const k = new Keys('fleet').pool('eu-1');
    const all = [
      k.members,
      k.available,
      k.leases,
      k.quarantine,
      k.fence,
      k.meta,
      k.profile('p1'),
      `${k.tagPrefix}us`,
    ];
    for (const key of all) expect(key.startsWith('fleet:{pool:eu-1}:')).toBe(true);
    expect(() => new Keys('bad:prefix')).toThrow(/not valid/);
  });
});
