import { loadConfig } from '@fleet/config';
import {
  describeRedisTarget,
  type RedisTarget,
  redisSettingsOf,
  redisTargetEnv,
  redisTargetOf,
} from './redis-target.js';

const PASSWORD = 'data-pass-Zq81';
const SENTINEL_PASSWORD = 'sentinel-pass-Kp27';

const targets: RedisTarget[] = [
  { kind: 'single', url: 'redis://127.0.0.1:6390' },
  { kind: 'single', url: `rediss://fleet:${PASSWORD}@redis.internal:6380/2`, tlsCa: '/etc/fleet/ca.pem' },
  {
    kind: 'sentinel',
    sentinels: [
      { host: '10.0.0.1', port: 26379 },
      { host: 'sentinel-2.redis', port: 26380 },
    ],
    name: 'fleet-master',
    sentinelPassword: SENTINEL_PASSWORD,
    username: 'fleet',
    password: PASSWORD,
    tls: true,
    tlsCa: '/etc/fleet/ca.pem',
  },
  { kind: 'sentinel', sentinels: [{ host: '127.0.0.1', port: 26379 }], name: 'm' },
  {
    kind: 'cluster',
    nodes: [
      { host: '127.0.0.1', port: 7001 },
      { host: '::1', port: 7002 },
    ],
    password: PASSWORD,
  },
  { kind: 'cluster', nodes: [{ host: 'redis-0.redis', port: 6379 }], tls: true },
];

describe('redisTargetEnv', () => {
  it.each(targets.map((t) => [t.kind, t] as const))(
    'round-trips a %s target through loadConfig',
    (_kind, target) => {
      const config = loadConfig({}, { env: redisTargetEnv(target) });
      expect(redisTargetOf(config.getProperties())).toEqual(target);
    },
  );

  it('blanks the variables of the other modes, so an inherited one cannot add a second mode', () => {
    const inherited = { REDIS_URL: 'redis://10.9.9.9:6379', REDIS_SENTINELS: '10.0.0.1:26379' };
    const cluster = targets[4]!;
    const config = loadConfig({}, { env: { ...inherited, ...redisTargetEnv(cluster) } });
    expect(redisTargetOf(config.getProperties())).toEqual(cluster);
  });
});

describe('redisSettingsOf', () => {
  it.each(targets.map((t) => [t.kind, t] as const))(
    'is undone by redisTargetOf for a %s target',
    (_kind, target) => {
      const hand = { redisUrl: 'redis://127.0.0.1:50000', workerId: 'w1' };
      expect(redisTargetOf({ ...hand, ...redisSettingsOf(target) })).toEqual(target);
    },
  );
});

describe('redisTargetOf', () => {
  const base = { redisUrl: 'redis://127.0.0.1:6379' };

  it('takes settings with only a URL (tests build them by hand)', () => {
    expect(redisTargetOf({ redisUrl: 'redis://h:1' })).toEqual({ kind: 'single', url: 'redis://h:1' });
  });

  it('puts REDIS_USERNAME / REDIS_PASSWORD into a single node URL, encoded', () => {
    const target = redisTargetOf({ ...base, redisUsername: 'ops', redisPassword: 'p@ss:/word' });
    expect(target).toEqual({ kind: 'single', url: 'redis://ops:p%40ss%3A%2Fword@127.0.0.1:6379' });
  });

  it('throws, naming what to fix, when two modes are set', () => {
    expect(() => redisTargetOf({ redisUrl: 'redis://10.0.0.9:6379', redisClusterNodes: ['h:1'] })).toThrow(
      /REDIS_CLUSTER_NODES is set with REDIS_URL/,
    );
    expect(() => redisTargetOf({ ...base, redisSentinels: ['h:1'] })).toThrow(
      /REDIS_SENTINEL_NAME is required/,
    );
    expect(() => redisTargetOf({ ...base, redisClusterNodes: ['nope'] })).toThrow(/"nope" is not host:port/);
  });
});

describe('describeRedisTarget', () => {
  it('gives mode and addresses and never a password', () => {
    const described = targets.map(describeRedisTarget);
    for (const line of described) {
      expect(line).not.toContain(PASSWORD);
      expect(line).not.toContain(SENTINEL_PASSWORD);
    }
    expect(described).toEqual([
      'single node redis://127.0.0.1:6390',
      'single node rediss://redis.internal:6380/2 (tls, ca /etc/fleet/ca.pem, user fleet, password set)',
      'sentinel master "fleet-master" via 10.0.0.1:26379,sentinel-2.redis:26380 (tls, ca /etc/fleet/ca.pem, user fleet, password set, sentinel password set)',
      'sentinel master "m" via 127.0.0.1:26379',
      'cluster via 127.0.0.1:7001,[::1]:7002 (password set)',
      'cluster via redis-0.redis:6379 (tls)',
    ]);
  });
});
