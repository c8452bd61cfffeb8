import { InvalidArgumentError } from './errors.js';
import type {
  Lease,
  LeaseOutcome,
  PoolCounts,
  PoolSelector,
  ReclaimedLease,
  ReleasePolicy,
  ReleaseResult,
} from './lease.js';
import type { ProfileStore } from './ports/profile-store.js';
import type { Profile } from './profile.js';
import { checkOwner, checkPool, checkProfileId, checkSelector, checkTtl } from './validation.js';

export interface AllocationOptions {
  /** Lease length when the caller names none; holders renew well before it ends. */
  leaseTtlMs: number;
  release: ReleasePolicy;
  /** How many expired leases one reclaim pass takes back. */
  reclaimBatch?: number;
  /**
   * A reclaimed profile rests this long before anyone may lease it again, so the browser its dead
   * holder left running can be stopped first (by `onReclaimed`). Default 0.
   */
  reclaimDelayMs?: number;
  /** Called with leases taken back from dead holders, so their browsers can be stopped. */
  onReclaimed?: (leases: ReclaimedLease[]) => void;
}

const DEFAULT_RECLAIM_BATCH = 100;

/**
 * Hands each profile to exactly one holder at a time. The store does the atomic work; this
 * service owns the rules around it: input validation, tokens, the release policy, and taking back
 * expired leases when a pool looks empty.
 */
export class ProfileAllocationService {
  private readonly reclaimBatch: number;

  constructor(
    private readonly store: ProfileStore,
    private readonly options: AllocationOptions,
  ) {
    checkTtl(options.leaseTtlMs, 'leaseTtlMs');
    const { cooldownMs, failureThreshold, quarantineMs } = options.release;
    if (!(Number.isInteger(cooldownMs) && cooldownMs >= 0)) {
      throw new InvalidArgumentError('cooldownMs must be a whole number of ms, 0 or more');
    }
    if (!(Number.isInteger(failureThreshold) && failureThreshold >= 1)) {
      throw new InvalidArgumentError('failureThreshold must be a whole number, 1 or more');
    }
    if (!(Number.isInteger(quarantineMs) && quarantineMs >= 1)) {
      throw new InvalidArgumentError('quarantineMs must be a whole number of ms, 1 or more');
    }
    this.reclaimBatch = options.reclaimBatch ?? DEFAULT_RECLAIM_BATCH;
  }

  /**
   * A lease on the least-recently-used ready profile matching the selector, or null when none is
   * free (not an error: the caller waits and tries again). Unknown pools are errors.
   */
  async acquire(
    selector: PoolSelector,
    owner: string,
    ttlMs = this.options.leaseTtlMs,
  ): Promise<Lease | null> {
    const checked = checkSelector(selector);
    checkOwner(owner);
    checkTtl(ttlMs);
    const token = globalThis.crypto.randomUUID();
    const lease = await this.store.acquire(checked, owner, token, ttlMs);
    if (lease) return lease;
    // None free: a holder may have died. Take back its expired lease and try once more.
    const reclaimed = await this.reclaimExpired(checked.pool);
    if (reclaimed.length === 0) return null;
    return this.store.acquire(checked, owner, token, ttlMs);
  }

  renew(lease: Lease, ttlMs = this.options.leaseTtlMs): Promise<Lease> {
    checkTtl(ttlMs);
    return this.store.renew(lease, ttlMs);
  }

  /**
   * Ends the lease with its outcome. `restMs` replaces the policy's cooldown for this release
   * (a profile whose provider host is down rests longer, so the pool tries other hosts first).
   */
  release(lease: Lease, outcome: LeaseOutcome, options: { restMs?: number } = {}): Promise<ReleaseResult> {
    if (outcome !== 'success' && outcome !== 'failure' && outcome !== 'neutral') {
      throw new InvalidArgumentError(
        `release outcome must be success, failure or neutral, not ${String(outcome)}`,
      );
    }
    const policy =
      options.restMs === undefined
        ? this.options.release
        : { ...this.options.release, cooldownMs: options.restMs };
    if (options.restMs !== undefined) checkTtl(options.restMs, 'restMs');
    return this.store.release(lease, outcome, policy);
  }

  async reclaimExpired(pool: string): Promise<ReclaimedLease[]> {
    const reclaimed = await this.store.reclaimExpired(
      checkPool(pool),
      this.reclaimBatch,
      this.options.reclaimDelayMs ?? 0,
    );
    if (reclaimed.length > 0) this.options.onReclaimed?.(reclaimed);
    return reclaimed;
  }

  /** Quarantine by hand; `durationMs` null keeps it out until `unquarantine`. */
  quarantine(profileId: string, reason: string, durationMs: number | null = null): Promise<Profile> {
    if (durationMs !== null) checkTtl(durationMs, 'durationMs');
    return this.store.quarantine(checkProfileId(profileId), reason.slice(0, 500), durationMs);
  }

  unquarantine(profileId: string): Promise<Profile> {
    return this.store.unquarantine(checkProfileId(profileId));
  }

  profile(profileId: string): Promise<Profile | null> {
    return this.store.get(checkProfileId(profileId));
  }

  get releasePolicy(): ReleasePolicy {
    return this.options.release;
  }

  counts(pool: string): Promise<PoolCounts> {
    return this.store.counts(checkPool(pool));
  }
}
