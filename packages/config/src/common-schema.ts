import type convict from 'convict';
import { durationMs, FORMAT } from './formats.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

/** Settings every app has. App schemas are merged beside these (see `loadConfig`). */
export interface CommonConfig {
  redisUrl: string;
  prefix: string;
  logLevel: LogLevel;
  nodeEnv: NodeEnv;
  redisWaitReplicas: number;
  redisWaitTimeoutMs: number;
}

export const commonSchema: convict.Schema<CommonConfig> = {
  redisUrl: {
    doc: 'The one Redis every Fleet process shares. Credentials in it are masked in logs.',
    format: FORMAT.redisUrl,
    default: 'redis://127.0.0.1:6379',
    env: 'REDIS_URL',
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
