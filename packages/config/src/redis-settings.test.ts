import { ConfigError } from './config-error.js';
import { loadConfig } from './load-config.js';
import { parseRedisNode } from './redis-settings.js';

const SECRET = 'sentinel-secret-value';

function problemsOf(env: Record<string, string>): { env: string | undefined; message: string }[] {
  try {
    loadConfig({}, { env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => ({ env: p.env, message: p.message }));
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('Redis connection settings', () => {
  it('default to one node at REDIS_URL', () => {
    const c = loadConfig({}, { env: {} });
    expect(c.get('redisUrl')).toBe('redis://127.0.0.1:6379');
    expect(c.get('redisSentinels')).toEqual([]);
    expect(c.get('redisClusterNodes')).toEqual([]);
    expect(c.get('redisTls')).toBe(false);
  });

  it('read Sentinel settings', () => {
    const c = loadConfig(
      {},
      {
        env: {
          REDIS_SENTINELS: '10.0.0.1:26379, 10.0.0.2:26379',
          REDIS_SENTINEL_NAME: 'fleet',
          REDIS_SENTINEL_PASSWORD: SECRET,
          REDIS_PASSWORD: 'data-secret',
          REDIS_TLS: 'yes',
          REDIS_TLS_CA: '/etc/redis/ca.pem',
        },
      },
    );
    expect(c.get('redisSentinels')).toEqual(['10.0.0.1:26379', '10.0.0.2:26379']);
    expect(c.get('redisSentinelName')).toBe('fleet');
    expect(c.get('redisTls')).toBe(true);
    expect(c.get('redisTlsCa')).toBe('/etc/redis/ca.pem');
  });

  it('refuse two modes at once, naming both and what to do', () => {
    const problems = problemsOf({ REDIS_URL: 'redis://10.0.0.9:6379', REDIS_CLUSTER_NODES: '10.0.0.1:7000' });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.env).toBe('REDIS_CLUSTER_NODES');
    expect(problems[0]!.message).toMatch(/REDIS_URL/);
    expect(problems[0]!.message).toMatch(/exactly one mode/);
    expect(problems[0]!.message).toMatch(/unset the others/);
    const three = problemsOf({
      REDIS_URL: 'redis://10.0.0.9:6379',
      REDIS_SENTINELS: '10.0.0.1:26379',
      REDIS_SENTINEL_NAME: 'm',
      REDIS_CLUSTER_NODES: '10.0.0.1:7000',
    });
    expect(three[0]!.message).toMatch(/REDIS_URL and REDIS_CLUSTER_NODES/);
  });

  it('count REDIS_URL as set when given, even at its default value, and empty as unset', () => {
    expect(
      problemsOf({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: 'h:1' })[0]!.message,
    ).toMatch(/exactly one mode/);
    expect(() => loadConfig({}, { env: { REDIS_URL: '', REDIS_CLUSTER_NODES: 'h:1' } })).not.toThrow();
  });

  it('require the master group name with sentinels, and nodes as host:port', () => {
    const problems = problemsOf({
      REDIS_SENTINELS: '10.0.0.1:26379,10.0.0.2',
      REDIS_SENTINEL_PASSWORD: SECRET,
    });
    expect(problems.map((p) => p.env).sort()).toEqual(['REDIS_SENTINELS', 'REDIS_SENTINEL_NAME']);
    expect(problems.find((p) => p.env === 'REDIS_SENTINELS')!.message).toMatch(/entry 2 must be host:port/);
    expect(JSON.stringify(problems)).not.toContain(SECRET);
  });

  it('refuse settings the chosen mode does not use', () => {
    expect(problemsOf({ REDIS_SENTINEL_NAME: 'm' })[0]!.env).toBe('REDIS_SENTINEL_NAME');
    expect(problemsOf({ REDIS_TLS: 'true' })[0]!.message).toMatch(/rediss:\/\//);
    expect(problemsOf({ REDIS_TLS_CA: '/ca.pem' })[0]!.message).toMatch(/rediss:\/\//);
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'h:1', REDIS_TLS_CA: '/ca.pem' })[0]!.message).toMatch(
      /REDIS_TLS=true/,
    );
    const both = problemsOf({ REDIS_URL: 'redis://:in-url-secret@h:1', REDIS_PASSWORD: 'other-secret' });
    expect(both[0]!.env).toBe('REDIS_PASSWORD');
    expect(JSON.stringify(both)).not.toMatch(/in-url-secret|other-secret/);
  });

  it('never echo the sentinel or data password in an error', () => {
    const error = (() => {
      try {
        loadConfig(
          {},
          { env: { REDIS_SENTINEL_PASSWORD: SECRET, REDIS_PASSWORD: 'data-secret-value', REDIS_TLS: 'x' } },
        );
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain('data-secret-value');
  });

  it('parse host:port, [v6]:port, and refuse the rest', () => {
    expect(parseRedisNode('redis-0.redis:6379')).toEqual({ host: 'redis-0.redis', port: 6379 });
    expect(parseRedisNode('[::1]:7000')).toEqual({ host: '::1', port: 7000 });
    for (const bad of ['h', 'h:', 'h:0', 'h:70000', ':1', 'redis://h:1', 'a b:1']) {
      expect(parseRedisNode(bad)).toBeUndefined();
    }
  });
});
