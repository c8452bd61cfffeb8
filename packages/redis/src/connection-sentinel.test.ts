import { RedisSentinelGroup, sleep } from '@fleet/testing';
import { createRedis, type FleetRedis } from './connection.js';
import { describeRedisTarget, type RedisTarget, redisTargetEnv } from './redis-target.js';

// One Sentinel group for the file: passwords on the data nodes and on the Sentinels.
let group: RedisSentinelGroup;
const open: FleetRedis[] = [];

beforeAll(async () => {
  group = await RedisSentinelGroup.start({ password: 'data-pass-1', sentinelPassword: 'sentinel-pass-1' });
}, 60_000);

afterAll(async () => {
  for (const r of open) r.disconnect();
  await group.stop();
  // The failover detector's Sentinel sockets keep ioredis' default 2 s disconnect timer.
  await sleep(2100);
}, 30_000);

function connect(target: RedisTarget, name = 'sentinel-test'): FleetRedis {
  // disconnectTimeout: ioredis otherwise keeps a 2 s timer per closed socket after disconnect().
  const redis = createRedis(target, { role: 'worker', name, overrides: { disconnectTimeout: 10 } });
  redis.on('error', () => {});
  open.push(redis);
  return redis;
}

/** The port of the node a connection is on (its own view). */
async function portOf(redis: FleetRedis): Promise<number> {
  const info = await redis.info('server');
  return Number(/^tcp_port:(\d+)/m.exec(info)?.[1]);
}

describe('createRedis with a Sentinel target', () => {
  it('reaches the master through the Sentinels; commands and scripts work', async () => {
    const redis = connect(group.target());
    await redis.set('sentinel:k', 'v');
    expect(await redis.get('sentinel:k')).toBe('v');
    expect(await portOf(redis)).toBe((await group.master()).port);
    expect(await redis.info('replication')).toContain('role:master');
  });

  it('gives child processes the same target and describes it without passwords', () => {
    // The harness's env() is what redisTargetEnv sets; the other Redis variables it blanks.
    const env = redisTargetEnv(group.target());
    expect(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''))).toEqual(group.env());
    expect(env.REDIS_URL).toBe('');
    const text = describeRedisTarget(group.target());
    expect(text).toContain('sentinel');
    expect(text).toContain(String(group.sentinels[0]!.port));
    expect(text).not.toContain('data-pass-1');
    expect(text).not.toContain('sentinel-pass-1');
  });

  it('is refused without the data nodes password or the Sentinels password', async () => {
    const { password: _p, ...noDataPassword } = group.target();
    const { sentinelPassword: _s, ...noSentinelPassword } = group.target();
    for (const target of [noDataPassword, noSentinelPassword] as RedisTarget[]) {
      const redis = createRedis(target, {
        role: 'producer',
        name: 'sentinel-refused',
        overrides: { disconnectTimeout: 10 },
      });
      const errors: Error[] = [];
      redis.on('error', (e: Error) => errors.push(e));
      open.push(redis);
      while (errors.length === 0) await sleep(50);
      expect(errors.map((e) => e.message).join('\n')).toMatch(
        /NOAUTH|auth|password|All sentinels are unreachable/i,
      );
      // Nothing it can do: it never reached a master.
      expect(redis.status).not.toBe('ready');
      redis.disconnect();
    }
  });

  it('follows a failover: after the master is killed it reaches the promoted replica', async () => {
    const redis = connect(group.target(), 'sentinel-failover');
    await redis.set('sentinel:before', '1');
    expect(await redis.wait(1, 5000)).toBeGreaterThanOrEqual(1);
    const old = await group.master();
    const dead = await group.killMaster();
    const promoted = await group.waitForNewMaster(old);
    // Commands sent meanwhile wait for the reconnect (role: worker retries forever).
    await redis.set('sentinel:after', '2');
    expect(await portOf(redis)).toBe(promoted.port);
    expect(await redis.get('sentinel:before')).toBe('1');
    await group.restartAsReplica(dead);
    expect(await redis.get('sentinel:after')).toBe('2');
    // A fresh connection finds the new master as well.
    const fresh = connect(group.target(), 'sentinel-fresh');
    expect(await portOf(fresh)).toBe(promoted.port);
  }, 90_000);
});
