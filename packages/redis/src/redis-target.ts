import {
  DEFAULT_REDIS_URL,
  parseRedisNode,
  type RedisNode,
  type RedisSettings,
  redisModeProblems,
  redisSettingDefaults,
  safeUrl,
} from '@fleet/config';

/**
 * Where Fleet's Redis is: one node (or a proxy in front of one), a master managed by Sentinel, or a
 * Redis Cluster. `tlsCa` is the path of a PEM CA file (self-signed servers), read once by
 * `createRedis`.
 */
export type RedisTarget =
  | { kind: 'single'; url: string; tlsCa?: string }
  | {
      kind: 'sentinel';
      sentinels: RedisNode[];
      name: string;
      sentinelPassword?: string;
      username?: string;
      password?: string;
      tls?: boolean;
      tlsCa?: string;
    }
  | {
      kind: 'cluster';
      nodes: RedisNode[];
      username?: string;
      password?: string;
      tls?: boolean;
      tlsCa?: string;
    };

function nodesOf(list: readonly string[], env: string): RedisNode[] {
  return list.map((text) => {
    const node = parseRedisNode(text);
    if (!node) throw new Error(`${env}: "${text}" is not host:port`);
    return node;
  });
}

const optional = <K extends string>(key: K, value: string | undefined) =>
  (value ? { [key]: value } : {}) as Partial<Record<K, string>>;

/**
 * The target the common settings describe. Throws an `Error` naming what to fix when they ask for
 * two modes at once (the apps' `loadConfig` reports the same problems first, with the others).
 * Without a `loadConfig`'s knowledge of what was set, a `redisUrl` equal to its default counts as unset.
 */
export function redisTargetOf(s: RedisSettings): RedisTarget {
  const problems = redisModeProblems(s, s.redisUrl !== DEFAULT_REDIS_URL);
  if (problems.length > 0) {
    throw new Error(`Redis settings: ${problems.map((p) => `${p.env} ${p.message}`).join('; ')}`);
  }
  const tlsCa = optional('tlsCa', s.redisTlsCa);
  const auth = { ...optional('username', s.redisUsername), ...optional('password', s.redisPassword) };
  const tls = s.redisTls ? { tls: true } : {};
  const sentinels = s.redisSentinels ?? [];
  const clusterNodes = s.redisClusterNodes ?? [];
  if (sentinels.length > 0) {
    return {
      kind: 'sentinel',
      sentinels: nodesOf(sentinels, 'REDIS_SENTINELS'),
      name: s.redisSentinelName ?? '',
      ...optional('sentinelPassword', s.redisSentinelPassword),
      ...auth,
      ...tls,
      ...tlsCa,
    };
  }
  if (clusterNodes.length > 0) {
    return {
      kind: 'cluster',
      nodes: nodesOf(clusterNodes, 'REDIS_CLUSTER_NODES'),
      ...auth,
      ...tls,
      ...tlsCa,
    };
  }
  return { kind: 'single', url: withCredentials(s.redisUrl, s.redisUsername, s.redisPassword), ...tlsCa };
}

/** REDIS_USERNAME / REDIS_PASSWORD (e.g. from a Kubernetes Secret) go into a single node's URL. */
function withCredentials(text: string, username = '', password = ''): string {
  if (!username && !password) return text;
  const url = new URL(text);
  if (username) url.username = encodeURIComponent(username);
  if (password) url.password = encodeURIComponent(password);
  return url.toString();
}

const nodeList = (nodes: readonly RedisNode[]) =>
  nodes.map((n) => (n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`)).join(',');

/**
 * The settings that `redisTargetOf` turns back into `target`: what a test spreads over an app's
 * hand-built settings (`{ ...settings(url, prefix), ...redisSettingsOf(target) }`) to run it on a
 * Sentinel group or a Cluster. Every Redis setting is given, unused ones empty.
 */
export function redisSettingsOf(target: RedisTarget): Required<RedisSettings> {
  const none = { ...redisSettingDefaults(), redisTlsCa: target.tlsCa ?? '' };
  if (target.kind === 'single') return { ...none, redisUrl: target.url };
  const auth = {
    redisUsername: target.username ?? '',
    redisPassword: target.password ?? '',
    redisTls: target.tls === true,
  };
  if (target.kind === 'cluster')
    return { ...none, ...auth, redisClusterNodes: nodeList(target.nodes).split(',') };
  return {
    ...none,
    ...auth,
    redisSentinels: nodeList(target.sentinels).split(','),
    redisSentinelName: target.name,
    redisSentinelPassword: target.sentinelPassword ?? '',
  };
}

/** Every env var of the Redis settings (`@fleet/config`'s common schema). */
const REDIS_ENV = [
  'REDIS_URL',
  'REDIS_SENTINELS',
  'REDIS_SENTINEL_NAME',
  'REDIS_SENTINEL_PASSWORD',
  'REDIS_CLUSTER_NODES',
  'REDIS_USERNAME',
  'REDIS_PASSWORD',
  'REDIS_TLS',
  'REDIS_TLS_CA',
] as const;

/**
 * The environment that makes a child process's `loadConfig` connect to the same target: every
 * Redis setting's env var, those the target does not use set to '' (unset for `loadConfig`), so
 * a variable the child would inherit from its parent cannot add a second mode. Holds passwords:
 * pass it to a child's env, never to a log.
 */
export function redisTargetEnv(target: RedisTarget): Record<string, string> {
  const env: Record<string, string> = Object.fromEntries(REDIS_ENV.map((name) => [name, '']));
  if (target.tlsCa) env.REDIS_TLS_CA = target.tlsCa;
  if (target.kind === 'single') return { ...env, REDIS_URL: target.url };
  if (target.username) env.REDIS_USERNAME = target.username;
  if (target.password) env.REDIS_PASSWORD = target.password;
  if (target.tls) env.REDIS_TLS = 'true';
  if (target.kind === 'cluster') return { ...env, REDIS_CLUSTER_NODES: nodeList(target.nodes) };
  env.REDIS_SENTINELS = nodeList(target.sentinels);
  env.REDIS_SENTINEL_NAME = target.name;
  if (target.sentinelPassword) env.REDIS_SENTINEL_PASSWORD = target.sentinelPassword;
  return env;
}

/** For logs: the mode, the addresses, whether TLS and a password are used; never a password. */
export function describeRedisTarget(target: RedisTarget): string {
  const extras = (tls: boolean, user: string | undefined, password: boolean) =>
    [
      tls ? 'tls' : '',
      target.tlsCa ? `ca ${target.tlsCa}` : '',
      user ? `user ${user}` : '',
      password ? 'password set' : '',
    ].filter(Boolean);
  const suffix = (parts: string[]) => (parts.length > 0 ? ` (${parts.join(', ')})` : '');
  if (target.kind === 'single') {
    const url = safeUrl(target.url);
    if (!url) return 'single node (unparseable URL)';
    const user = url.username ? decodeURIComponent(url.username) : undefined;
    const db = url.pathname.length > 1 ? url.pathname : '';
    const where = `${url.protocol}//${url.host}${db}`;
    return `single node ${where}${suffix(extras(url.protocol === 'rediss:', user, url.password !== ''))}`;
  }
  const parts = extras(target.tls === true, target.username, Boolean(target.password));
  if (target.kind === 'sentinel') {
    if (target.sentinelPassword) parts.push('sentinel password set');
    return `sentinel master "${target.name}" via ${nodeList(target.sentinels)}${suffix(parts)}`;
  }
  return `cluster via ${nodeList(target.nodes)}${suffix(parts)}`;
}
