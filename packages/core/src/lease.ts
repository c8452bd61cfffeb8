/** Which profiles an item may run on: one pool, optionally only profiles carrying every tag. */
export interface PoolSelector {
  pool: string;
  tags?: string[];
}

/**
 * The right to drive one profile until `expiresAt`. `token` proves the holder; `fence` rises with
 * every lease granted on the profile, so a write made under an older lease can be refused.
 */
export interface Lease {
  profileId: string;
  pool: string;
  owner: string;
  token: string;
  fence: number;
  grantedAt: number;
  expiresAt: number;
}

/**
 * How the holder's use of the profile went: `success` resets the failure streak, `failure` extends
 * it, `neutral` (aborted, cancelled: not the profile's doing) leaves the stats alone.
 */
export type LeaseOutcome = 'success' | 'failure' | 'neutral';

export interface ReleaseResult {
  /** True when this release's failure completed a streak and put the profile in quarantine. */
  quarantined: boolean;
  releasedAt: number;
}

/** A lease that expired without renewal and was taken back: its browser may still be running. */
export interface ReclaimedLease {
  profileId: string;
  pool: string;
  owner: string;
  fence: number;
  expiredAt: number;
}

export interface PoolCounts {
  pool: string;
  registered: number;
  /** Available now (cooldown over). */
  available: number;
  /** In the pool but still cooling down. */
  coolingDown: number;
  leased: number;
  quarantined: number;
}

/** What the pool does after releases: cooldown for everyone, quarantine after a failure streak. */
export interface ReleasePolicy {
  cooldownMs: number;
  failureThreshold: number;
  quarantineMs: number;
}
