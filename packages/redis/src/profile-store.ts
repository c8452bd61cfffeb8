import {
  checkNewProfile,
  checkPatch,
  checkPool,
  checkProfileId,
  type Lease,
  type LeaseOutcome,
  type NewProfile,
  type PoolCounts,
  type PoolSelector,
  type Profile,
  ProfileExistsError,
  type ProfileListQuery,
  ProfileNotFoundError,
  type ProfilePage,
  type ProfilePatch,
  type ProfileStore,
  type ReclaimedLease,
  type ReleasePolicy,
  type ReleaseResult,
  RetryableError,
} from '@fleet/core';
import { ATTR, inSpan } from '@fleet/telemetry';
import type { FleetRedis } from './connection.js';
import { Keys, type PoolKeys } from './keys.js';
import { decodeProfile } from './profile-codec.js';
import { ReplicaWait, type ReplicaWaitOptions } from './replica-wait.js';
import { orThrow } from './script-errors.js';
import { type SecretBox, sealProxy } from './secret-box.js';

const LIST_MAX = 500;

export interface ProfileStoreOptions {
  /**
   * WAIT for replicas after each acquire and renewal (Sentinel; DESIGN.md "Redis failover"): an
   * acquire no replica confirmed is released and counts as no profile free; a renewal no replica
   * confirmed counts as not made (retryable), so the holder never relies on an expiry a failover
   * can take back. Off (0 replicas) by default.
   */
  replicaWait?: ReplicaWaitOptions;
}

/** What the release of an unconfirmed acquire applies: no rest, stats untouched (`neutral`). */
const UNCONFIRMED_RELEASE: ReleasePolicy = { cooldownMs: 0, failureThreshold: 1, quarantineMs: 1 };

/**
 * The profile pool in Redis. Each operation is one Lua script (src/lua), so it is atomic and
 * O(log N) in the pool's size; time comes from the Redis server. The connection must have the
 * scripts defined (`createRedis` does it).
 *
 * Two global keys live outside the pool slots (the pools set and the id → pool index); they are
 * written before/after the pool script, never inside one, so the store also runs on Redis Cluster.
 */
export class RedisProfileStore implements ProfileStore {
  readonly keys: Keys;
  private readonly replicas: ReplicaWait;
  /** Acquires released because no replica confirmed them (the worker's metrics and the bench read it). */
  unconfirmedAcquires = 0;

  constructor(
    private readonly redis: FleetRedis,
    prefix: string,
    /** Seals proxy passwords at rest (FLEET_SECRET_KEY); without it they are stored as given. */
    private readonly box: SecretBox | null = null,
    options: ProfileStoreOptions = {},
  ) {
    this.keys = new Keys(prefix);
    this.replicas = new ReplicaWait(redis, options.replicaWait ?? { replicas: 0, timeoutMs: 0 });
  }

  async register(input: NewProfile): Promise<Profile> {
    const profile = checkNewProfile(input);
    const { id, pool } = profile;
    const claimed = await this.redis.hsetnx(this.keys.profileIndex, id, pool);
    if (claimed === 0) {
      const other = await this.redis.hget(this.keys.profileIndex, id);
      if (other !== null && other !== pool && (await this.isMember(other, id))) {
        throw new ProfileExistsError(id, other);
      }
      await this.redis.hset(this.keys.profileIndex, id, pool); // stale entry: take it over
    }
    const k = this.keys.pool(pool);
    const reply = await this.redis.fleetRegister(
      k.members,
      k.available,
      k.profile(id),
      k.meta,
      id,
      pool,
      (profile.tags ?? []).join(','),
      JSON.stringify(profile.providerIds ?? {}),
      profile.proxy ? JSON.stringify(sealProxy(profile.proxy, this.box)) : '',
      k.tagPrefix,
    );
    orThrow(reply, { profileId: id, pool });
    await this.redis.sadd(this.keys.pools, pool);
    return this.mustGet(id);
  }

  async update(profileId: string, input: ProfilePatch): Promise<Profile> {
    const patch = checkPatch(input);
    const k = await this.poolKeysOf(profileId);
    const reply = await this.redis.fleetUpdate(
      k.profile(profileId),
      k.available,
      patch.tags ? '1' : '0',
      (patch.tags ?? []).join(','),
      patch.providerIds ? '1' : '0',
      JSON.stringify(patch.providerIds ?? {}),
      patch.proxy !== undefined ? '1' : '0',
      patch.proxy ? JSON.stringify(sealProxy(patch.proxy, this.box)) : '',
      k.tagPrefix,
    );
    orThrow(reply, { profileId });
    return this.mustGet(profileId);
  }

  async unregister(profileId: string, options: { force?: boolean } = {}): Promise<void> {
    const k = await this.poolKeysOf(profileId);
    const reply = await this.redis.fleetUnregister(
      k.members,
      k.available,
      k.leases,
      k.quarantine,
      k.profile(profileId),
      profileId,
      options.force ? '1' : '0',
      k.tagPrefix,
    );
    orThrow(reply, { profileId });
    await this.redis.hdel(this.keys.profileIndex, profileId);
  }

  async get(profileId: string): Promise<Profile | null> {
    checkProfileId(profileId);
    const pool = await this.redis.hget(this.keys.profileIndex, profileId);
    if (pool === null) return null;
    const hash = await this.redis.hgetall(this.keys.pool(pool).profile(profileId));
    return decodeProfile(hash, this.box);
  }

  async list(pool: string, query: ProfileListQuery = {}): Promise<ProfilePage> {
    const k = this.keys.pool(checkPool(pool));
    const limit = Math.max(1, Math.min(query.limit ?? 100, LIST_MAX));
    let ids: string[];
    let next: string | null;
    if (query.state === undefined) {
      // SSCAN: O(1) per page however large the pool; COUNT is a hint, so a page may be short.
      const [cursor, page] = await this.redis.sscan(k.members, query.cursor ?? '0', 'COUNT', limit);
      ids = page;
      next = cursor === '0' ? null : cursor;
    } else {
      const offset = query.cursor ? Number.parseInt(query.cursor, 10) || 0 : 0;
      const set = { available: k.available, leased: k.leases, quarantined: k.quarantine }[query.state];
      ids = await this.redis.zrange(set, String(offset), String(offset + limit - 1));
      next = ids.length === limit ? String(offset + limit) : null;
    }
    // One pipeline is fine on a Cluster: every profile hash of a pool is in the pool's slot.
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(k.profile(id));
    const replies = (await pipeline.exec()) ?? [];
    const profiles = replies
      .map(([, hash]) => decodeProfile(hash as Record<string, string>, this.box))
      .filter((p): p is Profile => p !== null);
    return { profiles, nextCursor: next };
  }

  pools(): Promise<string[]> {
    return this.redis.smembers(this.keys.pools).then((pools) => pools.sort());
  }

  /** A lease, in a `lease.acquire` span (README "Tracing"): the profile it got, or none free. */
  acquire(selector: PoolSelector, owner: string, token: string, ttlMs: number): Promise<Lease | null> {
    return inSpan('lease.acquire', { attributes: { [ATTR.pool]: selector.pool } }, async (span) => {
      const lease = await this.acquireNow(selector, owner, token, ttlMs);
      span.setAttribute(ATTR.profileId, lease?.profileId ?? '');
      return lease;
    });
  }

  private async acquireNow(
    selector: PoolSelector,
    owner: string,
    token: string,
    ttlMs: number,
  ): Promise<Lease | null> {
    const k = this.keys.pool(selector.pool);
    const reply = orThrow(
      await this.redis.fleetAcquire(
        k.members,
        k.available,
        k.leases,
        k.quarantine,
        k.fence,
        k.profilePrefix,
        k.tagPrefix,
        owner,
        token,
        ttlMs,
        ...(selector.tags ?? []),
      ),
      { pool: selector.pool },
    );
    if (reply === 0) return null;
    const [profileId, fence, grantedAt, expiresAt] = reply as [string, number, number, number];
    const lease: Lease = { profileId, pool: selector.pool, owner, token, fence, grantedAt, expiresAt };
    if (await this.replicas.confirmed()) return lease;
    // A failover now could hand this profile (and this fence) to another holder: give it back.
    this.unconfirmedAcquires++;
    await this.release(lease, 'neutral', UNCONFIRMED_RELEASE).catch(() => undefined);
    return null;
  }

  async renew(lease: Lease, ttlMs: number): Promise<Lease> {
    const k = this.keys.pool(lease.pool);
    const reply = await this.redis.fleetRenew(
      k.leases,
      k.profile(lease.profileId),
      lease.profileId,
      lease.token,
      ttlMs,
    );
    const [expiresAt] = orThrow(reply, { profileId: lease.profileId }) as [number, number];
    if (!(await this.replicas.confirmed())) {
      // The longer lease may not survive a failover: keep counting on the old expiry.
      throw new RetryableError(
        'REDIS_UNAVAILABLE',
        `the renewal of profile ${lease.profileId}'s lease reached no replica within ${this.replicas.options.timeoutMs} ms`,
      );
    }
    return { ...lease, expiresAt };
  }

  async release(lease: Lease, outcome: LeaseOutcome, policy: ReleasePolicy): Promise<ReleaseResult> {
    const k = this.keys.pool(lease.pool);
    const reply = await this.redis.fleetRelease(
      k.available,
      k.leases,
      k.quarantine,
      k.profile(lease.profileId),
      lease.profileId,
      lease.token,
      outcome,
      policy.cooldownMs,
      policy.failureThreshold,
      policy.quarantineMs,
      k.tagPrefix,
    );
    const [quarantined, releasedAt] = orThrow(reply, { profileId: lease.profileId }) as [number, number];
    return { quarantined: quarantined === 1, releasedAt };
  }

  async reclaimExpired(pool: string, limit: number, readyDelayMs = 0): Promise<ReclaimedLease[]> {
    const k = this.keys.pool(pool);
    const flat = await this.redis.fleetReclaim(
      k.available,
      k.leases,
      k.quarantine,
      k.profilePrefix,
      k.tagPrefix,
      limit,
      readyDelayMs,
    );
    const out: ReclaimedLease[] = [];
    for (let i = 0; i + 3 < flat.length; i += 4) {
      out.push({
        profileId: flat[i]!,
        pool,
        owner: flat[i + 1]!,
        fence: Number(flat[i + 2]),
        expiredAt: Number(flat[i + 3]),
      });
    }
    return out;
  }

  async quarantine(profileId: string, reason: string, durationMs: number | null): Promise<Profile> {
    const k = await this.poolKeysOf(profileId);
    const reply = await this.redis.fleetQuarantine(
      k.members,
      k.available,
      k.leases,
      k.quarantine,
      k.profile(profileId),
      profileId,
      reason,
      durationMs ?? -1,
      k.tagPrefix,
    );
    const flat = orThrow(reply, { profileId }) as string[];
    const hash: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i]!] = flat[i + 1]!;
    return decodeProfile(hash, this.box)!;
  }

  async unquarantine(profileId: string): Promise<Profile> {
    const k = await this.poolKeysOf(profileId);
    const reply = await this.redis.fleetUnquarantine(
      k.members,
      k.available,
      k.quarantine,
      k.profile(profileId),
      profileId,
      k.tagPrefix,
    );
    orThrow(reply, { profileId });
    return this.mustGet(profileId);
  }

  async counts(pool: string): Promise<PoolCounts> {
    const k = this.keys.pool(pool);
    const [registered, available, coolingDown, leased, quarantined] = await this.redis.fleetCounts(
      k.members,
      k.available,
      k.leases,
      k.quarantine,
    );
    return { pool, registered, available, coolingDown, leased, quarantined };
  }

  private async isMember(pool: string, id: string): Promise<boolean> {
    return (await this.redis.sismember(this.keys.pool(pool).members, id)) === 1;
  }

  private async poolKeysOf(profileId: string): Promise<PoolKeys> {
    checkProfileId(profileId);
    const pool = await this.redis.hget(this.keys.profileIndex, profileId);
    if (pool === null) throw new ProfileNotFoundError(profileId);
    return this.keys.pool(pool);
  }

  private async mustGet(profileId: string): Promise<Profile> {
    const profile = await this.get(profileId);
    if (!profile) throw new ProfileNotFoundError(profileId);
    return profile;
  }
}
