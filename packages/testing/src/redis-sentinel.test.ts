import { Redis } from 'ioredis';
import { processesMatching } from './processes.js';
import { RedisSentinelGroup } from './redis-sentinel.js';

// Plain ioredis (this package cannot use @fleet/redis): the same Sentinel options Fleet passes.
function client(group: RedisSentinelGroup): Redis {
  const t = group.target();
  const redis = new Redis({
    sentinels: t.sentinels,
    name: t.name,
    role: 'master',
    ...(t.password ? { password: t.password } : {}),
    ...(t.sentinelPassword ? { sentinelPassword: t.sentinelPassword } : {}),
    maxRetriesPerRequest: null,
  });
  redis.on('error', () => {});
  return redis;
}

describe('RedisSentinelGroup', () => {
  it('runs master, replicas and Sentinels; a killed master is replaced and comes back as a replica', async () => {
    const group = await RedisSentinelGroup.start({
      password: 'data-secret',
      sentinelPassword: 'sentinel-secret',
    });
    const redis = client(group);
    try {
      const first = await group.master();
      expect(first.port).toBe(group.nodes[0]?.port);
      expect(group.env()).toEqual({
        REDIS_SENTINELS: group.sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
        REDIS_SENTINEL_NAME: 'fleet',
        REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
        REDIS_PASSWORD: 'data-secret',
      });
      await redis.set('k', 'before');
      // Written to a replica before the kill: WAIT says one replica has it.
      expect(await redis.wait(2, 5000)).toBe(2);
      const dead = await group.killMaster();
      expect(dead.running).toBe(false);
      const promoted = await group.waitForNewMaster(first);
      expect(promoted.port).not.toBe(first.port);
      expect(group.nodes.map((n) => n.port)).toContain(promoted.port);
      // The client follows the Sentinels to the new master and finds the replicated write.
      expect(await redis.get('k')).toBe('before');
      await redis.set('k', 'after');
      const back = await group.restartAsReplica(dead);
      expect(back.port).toBe(first.port);
      expect(await group.master()).toEqual(promoted);
      const replica = new Redis({ port: back.port, password: 'data-secret' });
      try {
        expect(await replica.info('replication')).toContain('role:slave');
        await redis.set('k', 'synced');
        await redis.wait(2, 5000);
        expect(await replica.get('k')).toBe('synced');
      } finally {
        replica.disconnect();
      }
    } finally {
      redis.disconnect();
      await group.stop();
    }
    // redis-server titles itself `redis-server 127.0.0.1:<port>` (a Sentinel adds `[sentinel]`).
    const addresses = [...group.nodes, ...group.sentinels].map((n) => `127.0.0.1:${n.port}`);
    const left = processesMatching((args) =>
      addresses.some((a) => args.join(' ').includes(`redis-server ${a}`)),
    );
    expect(left).toEqual([]);
  }, 90_000);

  it('refuses clients without the passwords', async () => {
    const group = await RedisSentinelGroup.start({
      password: 'data-secret',
      sentinelPassword: 'sentinel-secret',
      replicas: 1,
    });
    try {
      const [s] = group.sentinels;
      const bare = new Redis({
        port: s!.port,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      bare.on('error', () => {});
      await expect(bare.call('SENTINEL', 'masters')).rejects.toThrow(/NOAUTH/);
      bare.disconnect();
      const master = await group.master();
      const data = new Redis({
        port: master.port,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      data.on('error', () => {});
      await expect(data.get('k')).rejects.toThrow(/NOAUTH/);
      data.disconnect();
    } finally {
      await group.stop();
    }
  }, 60_000);
});
