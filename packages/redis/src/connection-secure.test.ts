import { readFileSync } from 'node:fs';
import { ProfileAllocationService } from '@fleet/core';
import { RedisServer, selfSignedTls, type TlsFiles } from '@fleet/testing';
import { Cluster, type Redis } from 'ioredis';
import { createRedis, type FleetRedis, waitReady } from './connection.js';
import { RedisProfileStore } from './profile-store.js';
import { describeRedisTarget, redisTargetOf } from './redis-target.js';

// A password with characters a URL must escape.
const PASSWORD = 'p@ss:w/rd-91';

const open: FleetRedis[] = [];
function connect(...args: Parameters<typeof createRedis>): FleetRedis {
  const redis = createRedis(args[0], {
    ...args[1],
    overrides: { retryStrategy: () => null, disconnectTimeout: 10, ...args[1].overrides },
  });
  redis.on('error', () => {});
  open.push(redis);
  return redis;
}
afterEach(() => {
  for (const redis of open.splice(0)) redis.disconnect();
});

/** A lease taken and given back through Fleet's Lua scripts: the connection works for real. */
async function leaseRoundTrip(redis: FleetRedis): Promise<void> {
  const store = new RedisProfileStore(redis, 'secure');
  await store.register({ id: 'p1', pool: 'default' });
  const allocation = new ProfileAllocationService(store, {
    leaseTtlMs: 10_000,
    release: { cooldownMs: 0, failureThreshold: 3, quarantineMs: 1000 },
  });
  const lease = await allocation.acquire({ pool: 'default' }, 'owner-1');
  expect(lease?.profileId).toBe('p1');
  await allocation.release(lease!, 'success');
}

describe('a single node with a password (requirepass)', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start({ password: PASSWORD });
  });
  afterAll(() => server.close());

  it('connects with the password in REDIS_URL', async () => {
    const redis = connect(server.url, { role: 'worker' });
    await waitReady(redis);
    await leaseRoundTrip(redis);
  });

  it('connects with REDIS_PASSWORD beside a URL without one', async () => {
    const target = redisTargetOf({ redisUrl: `redis://127.0.0.1:${server.port}`, redisPassword: PASSWORD });
    expect(describeRedisTarget(target)).not.toContain(PASSWORD);
    const redis = connect(target, { role: 'producer' });
    await waitReady(redis);
    expect(await redis.ping()).toBe('PONG');
  });

  it('is refused without it', async () => {
    const redis = connect(`redis://127.0.0.1:${server.port}`, { role: 'producer' });
    await expect(waitReady(redis).then(() => redis.ping())).rejects.toThrow(/NOAUTH|ended|Authentication/i);
  });
});

describe('a single node over TLS (self-signed CA)', () => {
  let tls: TlsFiles;
  let server: RedisServer;
  beforeAll(async () => {
    tls = selfSignedTls();
    server = await RedisServer.start({ tls, password: PASSWORD });
  });
  afterAll(async () => {
    await server.close();
    tls.remove();
  });

  it('connects with a rediss:// URL and REDIS_TLS_CA', async () => {
    const target = redisTargetOf({ redisUrl: server.url, redisTlsCa: tls.caFile });
    expect(target).toEqual({ kind: 'single', url: server.url, tlsCa: tls.caFile });
    expect(server.url.startsWith('rediss://')).toBe(true);
    const redis = connect(target, { role: 'worker' });
    await waitReady(redis);
    await leaseRoundTrip(redis);
  });

  it('refuses the server without the CA (its certificate is self-signed)', async () => {
    const redis = connect(server.url, { role: 'producer', overrides: { connectTimeout: 2000 } });
    const failure = await waitReady(redis).then(
      () => null,
      () => 'refused',
    );
    expect(failure).toBe('refused');
  });

  it('says which CA file it cannot read', () => {
    expect(() =>
      createRedis({ kind: 'single', url: server.url, tlsCa: '/nonexistent/ca.pem' }, { role: 'producer' }),
    ).toThrow(/REDIS_TLS_CA \/nonexistent\/ca.pem cannot be read \(ENOENT\)/);
  });
});

describe('what createRedis builds for Sentinel and Cluster (their servers: sentinel and cluster suites)', () => {
  let tls: TlsFiles;
  beforeAll(() => {
    tls = selfSignedTls();
  });
  afterAll(() => tls.remove());

  it('a Cluster whose node connections carry the role, credentials and CA (BullMQ reads maxRetriesPerRequest there)', () => {
    const cluster = createRedis(
      {
        kind: 'cluster',
        nodes: [{ host: '127.0.0.1', port: 1 }],
        username: 'u',
        password: PASSWORD,
        tls: true,
        tlsCa: tls.caFile,
      },
      { role: 'worker', name: 'w1', clusterOverrides: { lazyConnect: true } },
    );
    expect(cluster).toBeInstanceOf(Cluster);
    const node = (cluster as Cluster).options.redisOptions!;
    expect(node.maxRetriesPerRequest).toBeNull();
    expect(node).toMatchObject({ username: 'u', password: PASSWORD, connectionName: 'w1' });
    expect((node.tls as { ca: string }).ca).toBe(readFileSync(tls.caFile, 'utf8'));
    expect(typeof (cluster as Cluster).fleetAcquire).toBe('function');
    const producer = createRedis(
      { kind: 'cluster', nodes: [{ host: '127.0.0.1', port: 1 }] },
      { role: 'producer', clusterOverrides: { lazyConnect: true } },
    ) as Cluster;
    expect(producer.options.enableOfflineQueue).toBe(false);
    expect(producer.options.redisOptions!.maxRetriesPerRequest).toBe(1);
    cluster.disconnect();
    producer.disconnect();
  });

  it('a Redis that asks the sentinels for the master, over TLS to both', () => {
    const redis = createRedis(
      {
        kind: 'sentinel',
        sentinels: [{ host: '127.0.0.1', port: 1 }],
        name: 'fleet',
        sentinelPassword: 'sp',
        password: PASSWORD,
        tls: true,
        tlsCa: tls.caFile,
      },
      { role: 'worker', overrides: { lazyConnect: true } },
    ) as Redis;
    const o = redis.options;
    expect(o).toMatchObject({ name: 'fleet', role: 'master', sentinelPassword: 'sp', password: PASSWORD });
    expect(o.sentinels).toEqual([{ host: '127.0.0.1', port: 1 }]);
    expect(o.enableTLSForSentinelMode).toBe(true);
    expect(o.tls?.ca).toBe(readFileSync(tls.caFile, 'utf8'));
    expect(o.sentinelTLS?.ca).toBe(readFileSync(tls.caFile, 'utf8'));
    expect(o.maxRetriesPerRequest).toBeNull();
    redis.disconnect();
  });
});
