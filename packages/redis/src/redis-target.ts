import {
  DEFAULT_REDIS_URL,
  parseRedisNode,
  type RedisNode,
  type RedisSettings,
  redisModeProblems,
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
  if (problems.length > 0) throw new Error(`Redis settings: ${problems.join('; ')}`);
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
 * The environment (env names of the common settings) that makes a child process's `loadConfig`
 * connect to the same target. Holds passwords: pass it to a child's env, never to a log.
 */
export function redisTargetEnv(target: RedisTarget): Record<string, string> {
  const ca: Record<string, string> = target.tlsCa ? { REDIS_TLS_CA: target.tlsCa } : {};
  if (target.kind === 'single') return { REDIS_URL: target.url, ...ca };
  const common = {
    ...(target.username ? { REDIS_USERNAME: target.username } : {}),
    ...(target.password ? { REDIS_PASSWORD: target.password } : {}),
    ...(target.tls ? { REDIS_TLS: 'true' } : {}),
    ...ca,
  };
  if (target.kind === 'sentinel') {
    return {
      REDIS_SENTINELS: nodeList(target.sentinels),
      REDIS_SENTINEL_NAME: target.name,
      ...(target.sentinelPassword ? { REDIS_SENTINEL_PASSWORD: target.sentinelPassword } : {}),
      ...common,
    };
  }
  return { REDIS_CLUSTER_NODES: nodeList(target.nodes), ...common };
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
