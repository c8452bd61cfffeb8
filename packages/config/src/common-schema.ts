import type convict from 'convict';
import { csvList, durationMs, FORMAT, flag } from './formats.js';
import { DEFAULT_REDIS_URL, parseRedisNode } from './redis-settings.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

/** Settings every app has. App schemas are merged beside these (see `loadConfig`). */
export interface CommonConfig {
  redisUrl: string;
  redisSentinels: string[];
  redisSentinelName: string;
  redisSentinelPassword: string;
  redisClusterNodes: string[];
  redisUsername: string;
  redisPassword: string;
  redisTls: boolean;
  redisTlsCa: string;
  prefix: string;
  logLevel: LogLevel;
  nodeEnv: NodeEnv;
  redisWaitReplicas: number;
  redisWaitTimeoutMs: number;
  parentPid: number;
}

function hostPort(item: unknown, index: number): string | undefined {
  return typeof item === 'string' && parseRedisNode(item)
    ? undefined
    : `entry ${index + 1} must be host:port (e.g. 10.0.0.5:26379)`;
}

export const commonSchema: convict.Schema<CommonConfig> = {
  redisUrl: {
    doc: 'The one Redis every Fleet process shares, as one node (rediss:// for TLS). Credentials in it are masked in logs. Exactly one of REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES.',
    format: FORMAT.redisUrl,
    default: DEFAULT_REDIS_URL,
    env: 'REDIS_URL',
  },
  redisSentinels: csvList({
    doc: 'Redis behind Sentinel: the sentinels as host:port,host:port; Fleet connects to the master of REDIS_SENTINEL_NAME and follows failovers.',
    default: [],
    env: 'REDIS_SENTINELS',
    items: hostPort,
  }),
  redisSentinelName: {
    doc: 'The Sentinel master group name (`sentinel monitor <name> ...`); required with REDIS_SENTINELS.',
    format: String,
    default: '',
    env: 'REDIS_SENTINEL_NAME',
  },
  redisSentinelPassword: {
    doc: "The sentinels' own password (their requirepass), when they have one.",
    format: String,
    default: '',
    env: 'REDIS_SENTINEL_PASSWORD',
    sensitive: true,
  },
  redisClusterNodes: csvList({
    doc: 'Redis Cluster: some of its nodes as host:port,host:port (the rest are discovered).',
    default: [],
    env: 'REDIS_CLUSTER_NODES',
    items: hostPort,
  }),
  redisUsername: {
    doc: 'ACL user on the Redis data nodes (Sentinel master/replicas, Cluster nodes); for one node it may also be in REDIS_URL.',
    format: String,
    default: '',
    env: 'REDIS_USERNAME',
  },
  redisPassword: {
    doc: 'Password of the Redis data nodes (Sentinel master/replicas, Cluster nodes); for one node it may also be in REDIS_URL.',
    format: String,
    default: '',
    env: 'REDIS_PASSWORD',
    sensitive: true,
  },
  redisTls: flag({
    doc: 'TLS to the Sentinel or Cluster nodes (and the sentinels). For one node use a rediss:// REDIS_URL.',
    default: false,
    env: 'REDIS_TLS',
  }),
  redisTlsCa: {
    doc: 'Path of a PEM CA file to verify the Redis servers with (self-signed certificates), in all three modes.',
    format: String,
    default: '',
    env: 'REDIS_TLS_CA',
  },
  prefix: {
    doc: 'First segment of every Redis key and queue name.',
    format: FORMAT.keyPrefix,
    default: 'fleet',
    env: 'FLEET_PREFIX',
  },
  logLevel: {
    doc: 'Lowest pino level that is logged.',
    format: [...LOG_LEVELS],
    default: 'info',
    env: 'LOG_LEVEL',
  },
  nodeEnv: {
    doc: 'Runtime environment.',
    format: [...NODE_ENVS],
    default: 'development',
    env: 'NODE_ENV',
  },
  redisWaitReplicas: {
    doc: 'With REDIS_SENTINELS: replicas that must confirm (WAIT) each lease acquire and renewal before a worker relies on it, so a failover cannot hand a held profile to a second worker (DESIGN.md "Redis failover"). 0 turns it off; ignored without Sentinel.',
    format: 'nat',
    default: 1,
    env: 'REDIS_WAIT_REPLICAS',
  },
  redisWaitTimeoutMs: durationMs({
    env: 'REDIS_WAIT_TIMEOUT_MS',
    default: 500,
    doc: 'How long a lease write waits for REDIS_WAIT_REPLICAS; an acquire not confirmed by then is given back (no profile this time), a renewal counts as not made.',
  }),
  parentPid: {
    doc: 'Set by `fleet up` to its own pid: the app stops as on SIGTERM when that process is gone (killed without stopping its apps), instead of running on as an orphan. 0: off.',
    format: 'nat',
    default: 0,
    env: 'FLEET_PARENT_PID',
  },
};

/** Apps that publish events (API, worker) trim the one event stream alike. */
export const eventStreamSchema = {
  eventsMaxLen: {
    doc: 'About how many recent events the event stream keeps (XADD MAXLEN ~): how far back a notifier or a client replays (lastEventId). The same on every API and worker.',
    format: 'nat',
    default: 100_000,
    env: 'EVENTS_MAX_LEN',
  },
};

/** Apps that keep proxy passwords (API, worker) share this key; see SecretBox in @fleet/redis. */
export const secretKeySchema = {
  secretKey: {
    doc: 'Encrypts proxy passwords kept in Redis (AES-256-GCM): 64 hex digits (openssl rand -hex 32), the same on every API and worker. Empty: stored as given.',
    format: String,
    default: '',
    env: 'FLEET_SECRET_KEY',
    sensitive: true,
  },
};
