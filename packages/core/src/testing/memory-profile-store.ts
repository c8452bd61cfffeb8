import {
  LeaseLostError,
  ProfileExistsError,
  ProfileLeasedError,
  ProfileNotFoundError,
  UnknownPoolError,
} from '../errors.js';
import type {
  Lease,
  LeaseOutcome,
  PoolCounts,
  PoolSelector,
  ReclaimedLease,
  ReleasePolicy,
  ReleaseResult,
} from '../lease.js';
import type { ProfileListQuery, ProfilePage, ProfileStore } from '../ports/profile-store.js';
import type { NewProfile, Profile, ProfilePatch } from '../profile.js';

/** One release the store accepted, in order. */
export interface ReleaseRecord {
  profileId: string;
  fence: number;
  outcome: LeaseOutcome;
}

/**
 * ProfileStore over a map, with the Redis store's rules (packages/redis/src/lua): least-recently-
 * used ready profile first, fences that only rise, renew/release only by the holder before expiry,
 * a failure streak that quarantines, cooldowns, reclaim of expired leases and ended quarantines.
 * For unit tests of core logic; the Redis store is tested against real Redis.
 */
export class MemoryProfileStore implements ProfileStore {
  /** The stored profiles (tests may edit one in place, as an operator would through the API). */
  readonly profiles = new Map<string, Profile>();
  readonly releases: ReleaseRecord[] = [];
  private readonly tokens = new Map<string, string>();
  private fence = 0;

  /** `now` is the shared clock (the Redis server's in production); jest's fake timers move Date.now. */
  constructor(private readonly now: () => number = () => Date.now()) {}

  /** Release outcomes only, in order. */
  get outcomes(): LeaseOutcome[] {
    return this.releases.map((r) => r.outcome);
  }

  /** How many profiles are leased now. */
  get leased(): number {
    return [...this.profiles.values()].filter((p) => p.state === 'leased').length;
  }

  async register(input: NewProfile): Promise<Profile> {
    return structuredClone(this.add(input));
  }

  /** `register` without the promise, for a test's setup; returns the stored profile itself. */
  add(input: NewProfile): Profile {
    const existing = this.profiles.get(input.id);
    if (existing) throw new ProfileExistsError(input.id, existing.pool);
    const now = this.now();
    const profile: Profile = {
      id: input.id,
      pool: input.pool,
      tags: input.tags ?? [],
      providerIds: input.providerIds ?? {},
      proxy: input.proxy ?? null,
      state: 'available',
      readyAt: now,
      lease: null,
      quarantine: null,
      fence: 0,
      stats: { leases: 0, successes: 0, failures: 0, failStreak: 0, lastReleasedAt: null },
      createdAt: now,
      updatedAt: now,
    };
    this.profiles.set(profile.id, profile);
    return profile;
  }

  async update(profileId: string, patch: ProfilePatch): Promise<Profile> {
    const profile = this.mustHave(profileId);
    Object.assign(profile, patch, { updatedAt: this.now() });
    return structuredClone(profile);
  }

  async unregister(profileId: string, options: { force?: boolean } = {}): Promise<void> {
    const profile = this.mustHave(profileId);
    if (profile.state === 'leased' && !options.force) throw new ProfileLeasedError(profileId);
    this.profiles.delete(profileId);
    this.tokens.delete(profileId);
  }

  async get(profileId: string): Promise<Profile | null> {
    const profile = this.profiles.get(profileId);
    return profile ? structuredClone(profile) : null;
  }

  async list(pool: string, query: ProfileListQuery = {}): Promise<ProfilePage> {
    const all = this.inPool(pool)
      .filter((p) => query.state === undefined || p.state === query.state)
      .filter((p) => query.cursor === undefined || p.id > query.cursor)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const limit = query.limit ?? 100;
    const page = all.slice(0, limit);
    return {
      profiles: page.map((p) => structuredClone(p)),
      nextCursor: all.length > limit ? page[page.length - 1]!.id : null,
    };
  }

  async pools(): Promise<string[]> {
    return [...new Set([...this.profiles.values()].map((p) => p.pool))].sort();
  }

  async acquire(selector: PoolSelector, owner: string, token: string, ttlMs: number): Promise<Lease | null> {
    const now = this.now();
    this.returnDueQuarantined(selector.pool, now);
    const ready = this.inPool(selector.pool)
      .filter((p) => p.state === 'available' && (p.readyAt ?? 0) <= now)
      .filter((p) => (selector.tags ?? []).every((t) => p.tags.includes(t)))
      .sort((a, b) => (a.readyAt ?? 0) - (b.readyAt ?? 0));
    const profile = ready[0];
    if (!profile) {
      if (this.inPool(selector.pool).length === 0) throw new UnknownPoolError(selector.pool);
      return null;
    }
    const fence = ++this.fence;
    const lease: Lease = {
      profileId: profile.id,
      pool: profile.pool,
      owner,
      token,
      fence,
      grantedAt: now,
      expiresAt: now + ttlMs,
    };
    Object.assign(profile, {
      state: 'leased',
      fence,
      readyAt: null,
      lease: { owner, fence, expiresAt: lease.expiresAt },
      updatedAt: now,
    });
    profile.stats.leases++;
    this.tokens.set(profile.id, token);
    return lease;
  }

  async renew(lease: Lease, ttlMs: number): Promise<Lease> {
    const profile = this.mustHold(lease);
    const expiresAt = this.now() + ttlMs;
    profile.lease = { owner: lease.owner, fence: lease.fence, expiresAt };
    return { ...lease, expiresAt };
  }

  async release(lease: Lease, outcome: LeaseOutcome, policy: ReleasePolicy): Promise<ReleaseResult> {
    const profile = this.mustHold(lease);
    const now = this.now();
    const { stats } = profile;
    if (outcome === 'success') {
      stats.successes++;
      stats.failStreak = 0;
    } else if (outcome === 'failure') {
      stats.failures++;
      stats.failStreak++;
    }
    stats.lastReleasedAt = now;
    this.releases.push({ profileId: lease.profileId, fence: lease.fence, outcome });
    this.tokens.delete(lease.profileId);
    const quarantined = outcome === 'failure' && stats.failStreak >= policy.failureThreshold;
    Object.assign(profile, { lease: null, updatedAt: now });
    if (quarantined) {
      Object.assign(profile, {
        state: 'quarantined',
        readyAt: null,
        quarantine: { until: now + policy.quarantineMs, reason: `failed ${stats.failStreak} times in a row` },
      });
    } else {
      Object.assign(profile, { state: 'available', readyAt: now + policy.cooldownMs });
    }
    return { quarantined, releasedAt: now };
  }

  async reclaimExpired(pool: string, limit: number, readyDelayMs = 0): Promise<ReclaimedLease[]> {
    const now = this.now();
    const expired = this.inPool(pool)
      .filter((p) => p.state === 'leased' && p.lease !== null && p.lease.expiresAt <= now)
      .slice(0, limit);
    const reclaimed = expired.map((p) => {
      const lease = p.lease!;
      this.tokens.delete(p.id);
      Object.assign(p, { state: 'available', lease: null, readyAt: now + readyDelayMs, updatedAt: now });
      return { profileId: p.id, pool, owner: lease.owner, fence: lease.fence, expiredAt: lease.expiresAt };
    });
    this.returnDueQuarantined(pool, now);
    return reclaimed;
  }

  async quarantine(profileId: string, reason: string, durationMs: number | null): Promise<Profile> {
    const profile = this.mustHave(profileId);
    const now = this.now();
    this.tokens.delete(profileId); // a lease it had is revoked
    Object.assign(profile, {
      state: 'quarantined',
      lease: null,
      readyAt: null,
      quarantine: { until: durationMs === null ? null : now + durationMs, reason },
      updatedAt: now,
    });
    return structuredClone(profile);
  }

  async unquarantine(profileId: string): Promise<Profile> {
    const profile = this.mustHave(profileId);
    if (profile.state === 'quarantined') this.makeAvailable(profile, this.now());
    return structuredClone(profile);
  }

  async counts(pool: string): Promise<PoolCounts> {
    const now = this.now();
    const all = this.inPool(pool);
    const available = all.filter((p) => p.state === 'available');
    return {
      pool,
      registered: all.length,
      available: available.filter((p) => (p.readyAt ?? 0) <= now).length,
      coolingDown: available.filter((p) => (p.readyAt ?? 0) > now).length,
      leased: all.filter((p) => p.state === 'leased').length,
      quarantined: all.filter((p) => p.state === 'quarantined').length,
    };
  }

  private inPool(pool: string): Profile[] {
    return [...this.profiles.values()].filter((p) => p.pool === pool);
  }

  private mustHave(profileId: string): Profile {
    const profile = this.profiles.get(profileId);
    if (!profile) throw new ProfileNotFoundError(profileId);
    return profile;
  }

  /** The profile, if `lease` still holds it (right token, not expired); else LeaseLostError. */
  private mustHold(lease: Lease): Profile {
    const profile = this.profiles.get(lease.profileId);
    if (profile?.state !== 'leased' || this.tokens.get(lease.profileId) !== lease.token) {
      throw new LeaseLostError(lease.profileId, 'not-holder');
    }
    if (profile.lease!.expiresAt <= this.now()) throw new LeaseLostError(lease.profileId, 'expired');
    return profile;
  }

  private returnDueQuarantined(pool: string, now: number): void {
    for (const p of this.inPool(pool)) {
      const until = p.quarantine?.until;
      if (p.state === 'quarantined' && until !== null && until !== undefined && until <= now) {
        this.makeAvailable(p, now);
      }
    }
  }

  private makeAvailable(profile: Profile, now: number): void {
    profile.stats.failStreak = 0;
    Object.assign(profile, { state: 'available', quarantine: null, readyAt: now, updatedAt: now });
  }
}
