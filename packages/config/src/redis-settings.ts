/** One `host:port` of a Sentinel or Cluster node. */
export interface RedisNode {
  host: string;
  port: number;
}

/**
 * The common settings that say where Redis is (`CommonConfig` has them all). Only `redisUrl` is
 * required, so an app's settings built by hand (tests) may name one node and nothing else; an
 * absent field is its default (empty, false).
 */
export interface RedisSettings {
  redisUrl: string;
  redisSentinels?: string[];
  redisSentinelName?: string;
  redisSentinelPassword?: string;
  redisClusterNodes?: string[];
  redisUsername?: string;
  redisPassword?: string;
  redisTls?: boolean;
  redisTlsCa?: string;
}

/** `REDIS_URL`'s default: a URL equal to it is taken as "not set" when another mode is chosen. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Every Redis setting at its default (a new object each call): one node at `DEFAULT_REDIS_URL`. */
export function redisSettingDefaults(): Required<RedisSettings> {
  return {
    redisUrl: DEFAULT_REDIS_URL,
    redisSentinels: [],
    redisSentinelName: '',
    redisSentinelPassword: '',
    redisClusterNodes: [],
    redisUsername: '',
    redisPassword: '',
    redisTls: false,
    redisTlsCa: '',
  };
}

const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]/@]+)):(\d{1,5})$/;

/** `host:port` (or `[v6]:port`) → a node; undefined when it is not one. */
export function parseRedisNode(text: string): RedisNode | undefined {
  const match = HOST_PORT.exec(text.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (match[1] ?? match[2])!, port };
}

/** One problem of the Redis settings: the setting to fix and what to do (never a secret's value). */
export interface RedisSettingProblem {
  key: keyof RedisSettings;
  env: string;
  message: string;
}

const ENV: Record<keyof RedisSettings, string> = {
  redisUrl: 'REDIS_URL',
  redisSentinels: 'REDIS_SENTINELS',
  redisSentinelName: 'REDIS_SENTINEL_NAME',
  redisSentinelPassword: 'REDIS_SENTINEL_PASSWORD',
  redisClusterNodes: 'REDIS_CLUSTER_NODES',
  redisUsername: 'REDIS_USERNAME',
  redisPassword: 'REDIS_PASSWORD',
  redisTls: 'REDIS_TLS',
  redisTlsCa: 'REDIS_TLS_CA',
};

/**
 * What makes the Redis settings unusable: more than one connection mode, or a setting the chosen
 * mode does not use. `urlExplicit`: REDIS_URL was set (env or file), not left at its default.
 * Shared by `loadConfig` (which knows what was set) and `redisTargetOf` in @fleet/redis.
 */
export function redisModeProblems(s: RedisSettings, urlExplicit: boolean): RedisSettingProblem[] {
  const sentinel = (s.redisSentinels?.length ?? 0) > 0;
  const cluster = (s.redisClusterNodes?.length ?? 0) > 0;
  const problems: RedisSettingProblem[] = [];
  const problem = (key: keyof RedisSettings, message: string) =>
    problems.push({ key, env: ENV[key], message });
  const chosen = (['redisUrl', 'redisSentinels', 'redisClusterNodes'] as const).filter((key) =>
    key === 'redisUrl' ? urlExplicit : key === 'redisSentinels' ? sentinel : cluster,
  );
  if (chosen.length > 1) {
    const names = chosen.map((key) => ENV[key]);
    problem(
      chosen[1]!,
      `is set with ${names.filter((_, i) => i !== 1).join(' and ')}, but Fleet connects in exactly one mode: ` +
        'REDIS_URL for one node, REDIS_SENTINELS (with REDIS_SENTINEL_NAME) for Sentinel, or ' +
        'REDIS_CLUSTER_NODES for a Cluster. Keep one and unset the others',
    );
    return problems;
  }
  if (sentinel && !s.redisSentinelName) {
    problem(
      'redisSentinelName',
      'is required with REDIS_SENTINELS: the master group name the sentinels monitor',
    );
  }
  if (!sentinel && s.redisSentinelName)
    problem('redisSentinelName', 'is set without REDIS_SENTINELS: set both, or unset it');
  if (!sentinel && s.redisSentinelPassword) {
    problem('redisSentinelPassword', 'is set without REDIS_SENTINELS: set both, or unset it');
  }
  if (!sentinel && !cluster) {
    const tlsUrl = s.redisUrl.startsWith('rediss://');
    if (s.redisTls && !tlsUrl) {
      problem(
        'redisTls',
        'is for Sentinel and Cluster nodes: for one node use a rediss:// REDIS_URL instead',
      );
    }
    if (s.redisTlsCa && !tlsUrl)
      problem('redisTlsCa', 'is set but REDIS_URL is not rediss://: use a rediss:// URL, or unset it');
    const url = safeUrl(s.redisUrl);
    if (url?.password && s.redisPassword) {
      problem('redisPassword', 'is set and REDIS_URL holds a password too: keep only one of them');
    }
    if (url?.username && s.redisUsername) {
      problem('redisUsername', 'is set and REDIS_URL holds a user name too: keep only one of them');
    }
  } else if (s.redisTlsCa && !s.redisTls) {
    problem('redisTlsCa', 'is set but REDIS_TLS is false: set REDIS_TLS=true to use TLS, or unset it');
  }
  return problems;
}

/** `new URL`, or undefined when the text is not a URL. */
export function safeUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
