import type {
  Lease,
  LeaseOutcome,
  PoolCounts,
  PoolSelector,
  ReclaimedLease,
  ReleasePolicy,
  ReleaseResult,
} from '../lease.js';
import type { NewProfile, Profile, ProfilePatch, ProfileState } from '../profile.js';

export interface ProfileListQuery {
  state?: ProfileState;
  cursor?: string;
  limit?: number;
}

export interface ProfilePage {
  profiles: Profile[];
  nextCursor: string | null;
}

/**
 * Where profiles and their leases live. Every operation is atomic; acquire, renew, release, reclaim
 * and quarantine cost O(log N) in the pool's size. Implementations take time from one clock shared
 * by all workers (e.g. the Redis server's), so worker clock skew cannot stretch a lease.
 *
 * Errors: ProfileNotFoundError, ProfileExistsError, ProfileLeasedError, UnknownPoolError,
 * LeaseLostError (renew/release by a non-holder, or after expiry).
 */
export interface ProfileStore {
  register(profile: NewProfile): Promise<Profile>;
  update(profileId: string, patch: ProfilePatch): Promise<Profile>;
  /** Refuses a leased profile unless `force`; a forced unregister kills the lease. */
  unregister(profileId: string, options?: { force?: boolean }): Promise<void>;
  get(profileId: string): Promise<Profile | null>;
  list(pool: string, query?: ProfileListQuery): Promise<ProfilePage>;
  pools(): Promise<string[]>;

  /** The least-recently-used available profile whose cooldown has passed, or null if none is. */
  acquire(selector: PoolSelector, owner: string, token: string, ttlMs: number): Promise<Lease | null>;
  /** Extends the lease to now + ttl. Refused (LeaseLostError) for a wrong token or an expired lease. */
  renew(lease: Lease, ttlMs: number): Promise<Lease>;
  /** Ends the lease, records the outcome and starts the cooldown. Refused like renew. */
  release(lease: Lease, outcome: LeaseOutcome, policy: ReleasePolicy): Promise<ReleaseResult>;
  /**
   * Takes back up to `limit` expired leases of a pool (ready again after `readyDelayMs`, time to
   * stop a dead holder's browser) and returns due quarantined profiles to the pool.
   */
  reclaimExpired(pool: string, limit: number, readyDelayMs?: number): Promise<ReclaimedLease[]>;

  /**
   * Takes a profile out of the pool for `durationMs` (null: until released by hand). A lease it has
   * is revoked: the holder's next renew or release is refused.
   */
  quarantine(profileId: string, reason: string, durationMs: number | null): Promise<Profile>;
  /** Returns a quarantined profile to the pool now, with a clean failure streak. */
  unquarantine(profileId: string): Promise<Profile>;
  counts(pool: string): Promise<PoolCounts>;
}
