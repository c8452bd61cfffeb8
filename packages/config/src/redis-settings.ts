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
  /** With Sentinel: replicas that must confirm a lease write (WAIT); 0 = off. Default 1. */
  redisWaitReplicas?: number;
  /** How long that WAIT may take, ms. Default 500. */
  redisWaitTimeoutMs?: number;
}

/** `REDIS_URL`'s default: a URL equal to it is taken as "not set" when another mode is chosen. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]/@]+)):(\d{1,5})$/;

/** `host:port` (or `[v6]:port`) → a node; undefined when it is not one. */
export function parseRedisNode(text: string): RedisNode | undefined {
  const match = HOST_PORT.exec(text.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (match[1] ?? match[2])!, port };
}

/**
 * Which connection mode the settings ask for, or the problems that make them unusable (each says
 * what to do; never a secret's value). `urlExplicit`: REDIS_URL was set (env or file), not left at
 * its default. Shared by `@fleet/config`'s load check and `redisTargetOf`.
 */
export function redisModeProblems(s: RedisSettings, urlExplicit: boolean): string[] {
  const sentinel = (s.redisSentinels?.length ?? 0) > 0;
  const cluster = (s.redisClusterNodes?.length ?? 0) > 0;
  const chosen = [
    urlExplicit ? 'REDIS_URL' : '',
    sentinel ? 'REDIS_SENTINELS' : '',
    cluster ? 'REDIS_CLUSTER_NODES' : '',
  ].filter(Boolean);
  const problems: string[] = [];
  if (chosen.length > 1) {
    problems.push(
      `${chosen.join(' and ')} are ${chosen.length === 2 ? 'both' : 'all'} set, but Fleet connects in exactly one mode: set REDIS_URL for one ` +
        'node, REDIS_SENTINELS (with REDIS_SENTINEL_NAME) for Sentinel, or REDIS_CLUSTER_NODES for a ' +
        'Cluster, and unset the others',
    );
    return problems;
  }
  if (sentinel && !s.redisSentinelName) {
    problems.push('REDIS_SENTINELS is set: REDIS_SENTINEL_NAME (the master group name) is required with it');
  }
  if (!sentinel && s.redisSentinelName) {
    problems.push('REDIS_SENTINEL_NAME is set without REDIS_SENTINELS: set both, or unset it');
  }
  if (!sentinel && s.redisSentinelPassword) {
    problems.push('REDIS_SENTINEL_PASSWORD is set without REDIS_SENTINELS: set both, or unset it');
  }
  if (!sentinel && !cluster) {
    if (s.redisTls && !s.redisUrl.startsWith('rediss://')) {
      problems.push('REDIS_TLS is for Sentinel and Cluster nodes: for one node use a rediss:// REDIS_URL');
    }
    if (s.redisTlsCa && !s.redisUrl.startsWith('rediss://')) {
      problems.push('REDIS_TLS_CA is set but REDIS_URL is not rediss://: use a rediss:// URL, or unset it');
    }
    const url = safeUrl(s.redisUrl);
    if (url && s.redisPassword && url.password) {
      problems.push('REDIS_PASSWORD is set and REDIS_URL holds a password too: keep only one of them');
    }
    if (url && s.redisUsername && url.username) {
      problems.push('REDIS_USERNAME is set and REDIS_URL holds a user name too: keep only one of them');
    }
  } else if (s.redisTlsCa && !s.redisTls) {
    problems.push('REDIS_TLS_CA is set but REDIS_TLS is false: set REDIS_TLS=true to use TLS, or unset it');
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
