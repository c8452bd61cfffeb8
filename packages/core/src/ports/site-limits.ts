import type { PerSite } from '@fleet/contracts';

/** Whether an item may start on its site now (README "Sharing a fleet"). */
export type SiteGrant =
  | { granted: true }
  /** Not now: ask again after `waitMs` (the site is full, its last start too recent, or paused after a 429/503). */
  | { granted: false; waitMs: number; reason: 'backoff' | 'full' | 'spacing' };

/**
 * Politeness per site, fleet-wide: at most N items of a site at once and a least delay between
 * starts, from the batch's `perSite` and an admin's rule for the host (the stricter wins). A slot
 * is held by a holder (the item's id) until released, or until it lapses unrenewed (its worker
 * died): the Redis adapter is `lua/site-acquire-3.lua`.
 */
export interface SiteLimits {
  /** Whether an admin's rule exists for any host (cached: an item without perSite asks nothing then). */
  hasRules(): Promise<boolean>;
  /** null: no rule applies to the host (nothing is held, nothing to release). */
  acquire(host: string, holder: string, batchRule: PerSite | undefined): Promise<SiteGrant | null>;
  /** Keeps a held slot from lapsing (called with the lease's renewals). */
  renew(host: string, holder: string): Promise<void>;
  release(host: string, holder: string): Promise<void>;
  /** The site answered 429 or 503: no item of it starts for a while, on any worker. */
  slowDown(host: string): Promise<unknown>;
}
