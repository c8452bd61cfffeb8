import type { ReplicaWaitSettings } from '@fleet/config';
import type { FleetRedis } from './connection.js';
import type { RedisTarget } from './redis-target.js';

/** REDIS_WAIT_REPLICAS / REDIS_WAIT_TIMEOUT_MS: how many replicas must have a lease write, how long to wait. */
export interface ReplicaWaitOptions {
  replicas: number;
  timeoutMs: number;
}

/**
 * `WAIT <replicas> <timeoutMs>` after a lease write, on the connection that made it (WAIT counts
 * this connection's writes). Redis replicates asynchronously: a lease the master granted and died
 * before sending on is gone from the promoted replica, whose fence counter then hands the same
 * fence to the next holder while the first drives the profile. Sentinel promotes the replica with
 * the most replicated data, so a write WAIT saw on one replica survives the failover of a master
 * (DESIGN.md "Redis failover" says what it does not cover). `replicas: 0` turns it off.
 */
export class ReplicaWait {
  constructor(
    private readonly redis: FleetRedis,
    readonly options: ReplicaWaitOptions,
  ) {}

  get enabled(): boolean {
    return this.options.replicas > 0;
  }

  /** True once enough replicas hold every write this connection made so far (at once when off). */
  async confirmed(): Promise<boolean> {
    if (!this.enabled) return true;
    const reached = await this.redis.wait(this.options.replicas, this.options.timeoutMs);
    return reached >= this.options.replicas;
  }
}

/**
 * The WAIT a process applies to its lease and submit writes: REDIS_WAIT_REPLICAS (default 1) and
 * REDIS_WAIT_TIMEOUT_MS (default 500) behind Sentinel; none for a single node or a Cluster.
 */
export function replicaWaitOf(
  target: RedisTarget,
  settings: ReplicaWaitSettings,
): ReplicaWaitOptions | undefined {
  const replicas = settings.redisWaitReplicas ?? 1;
  if (target.kind !== 'sentinel' || replicas <= 0) return undefined;
  return { replicas, timeoutMs: settings.redisWaitTimeoutMs ?? 500 };
}
