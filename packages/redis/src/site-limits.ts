import { type PerSite, perSiteSchema } from '@fleet/contracts';
import type { SiteGrant, SiteLimits } from '@fleet/core';
import type { FleetRedis } from './connection.js';
import { Keys } from './keys.js';

export interface SiteLimitsOptions {
  /** How long a held slot lasts without a renewal (a dead worker's slot comes back after it), ms. */
  holdMs?: number;
  /** How long an item waits when its site is full before it asks again, ms. */
  fullWaitMs?: number;
  /** How often a worker reads which hosts have an admin's rule (a new rule applies after it), ms. */
  rulesRefreshMs?: number;
  now?: () => number;
}

/** A site's rule and how many of its items run now (`GET /v1/admin/sites`). */
export interface SiteStatus {
  host: string;
  rule: PerSite;
  running: number;
}

/**
 * Politeness per site over Redis (README "Sharing a fleet"; `lua/site-acquire-3.lua`): one script
 * grants a slot or says how long to wait; release and renewal are one command each on the site's
 * holders. Admin rules live in the site's state (read by the script, same slot) and in a listing;
 * workers cache which hosts have one, so an item of a host without any rule costs no round trip.
 */
export class RedisSiteLimits implements SiteLimits {
  private readonly keys: Keys;
  private ruled: { hosts: Set<string>; readAt: number } | null = null;
  private readonly now: () => number;

  constructor(
    private readonly redis: FleetRedis,
    prefix: string,
    private readonly options: SiteLimitsOptions = {},
  ) {
    this.keys = new Keys(prefix);
    this.now = options.now ?? Date.now;
  }

  private get holdMs(): number {
    return this.options.holdMs ?? 30_000;
  }

  async hasRules(): Promise<boolean> {
    return (await this.ruledHosts()).size > 0;
  }

  async acquire(host: string, holder: string, batchRule: PerSite | undefined): Promise<SiteGrant | null> {
    if (!batchRule && !(await this.ruledHosts()).has(host)) return null;
    const k = this.keys.site(host);
    const [granted, waitMs, reason] = (await this.redis.fleetSiteAcquire(
      k.holders,
      k.state,
      k.waiters,
      holder,
      this.holdMs,
      batchRule?.maxConcurrent ?? '',
      batchRule?.minDelayMs ?? '',
      this.options.fullWaitMs ?? 500,
    )) as [number, number, 'backoff' | 'full' | 'spacing' | undefined];
    return granted === 1 ? { granted: true } : { granted: false, waitMs, reason: reason ?? 'full' };
  }

  /** The site answered 429 or 503: pause its starts, fleet-wide (1 s, doubling to 60 s). */
  async slowDown(host: string): Promise<number> {
    return this.redis.fleetSiteSlow(this.keys.site(host).state);
  }

  async renew(host: string, holder: string): Promise<void> {
    await this.redis.fleetSiteRenew(this.keys.site(host).holders, holder, this.holdMs);
  }

  async release(host: string, holder: string): Promise<void> {
    await this.redis.zrem(this.keys.site(host).holders, holder);
  }

  /** An admin's rule for a host, for every worker (after their next rules refresh). */
  async setRule(host: string, rule: PerSite): Promise<void> {
    const state = this.keys.site(host).state;
    await this.redis.hdel(state, 'adminMax', 'adminDelay');
    await this.redis.hset(state, {
      ...(rule.maxConcurrent !== undefined ? { adminMax: rule.maxConcurrent } : {}),
      ...(rule.minDelayMs !== undefined ? { adminDelay: rule.minDelayMs } : {}),
    });
    await this.redis.persist(state);
    await this.redis.hset(this.keys.siteRules, host, JSON.stringify(rule));
    this.ruled = null;
  }

  /** Removes an admin's rule; false when the host had none. */
  async deleteRule(host: string): Promise<boolean> {
    const removed = await this.redis.hdel(this.keys.siteRules, host);
    await this.redis.hdel(this.keys.site(host).state, 'adminMax', 'adminDelay');
    this.ruled = null;
    return removed === 1;
  }

  /** Every admin's rule, with how many items run on the site now, by host. */
  async rules(): Promise<SiteStatus[]> {
    const all = await this.redis.hgetall(this.keys.siteRules);
    const hosts = Object.keys(all).sort();
    return Promise.all(
      hosts.map(async (host) => ({
        host,
        rule: perSiteSchema.parse(JSON.parse(all[host]!)),
        running: await this.running(host),
        waiting: await this.waiting(host),
      })),
    );
  }

  /** Items holding a slot on the site now (lapsed holders not counted). */
  async running(host: string): Promise<number> {
    return this.redis.zcount(this.keys.site(host).holders, `(${this.now()}`, '+inf');
  }

  /** Items told to wait for the site that have not started since. */
  async waiting(host: string): Promise<number> {
    return this.redis.zcount(this.keys.site(host).waiters, `(${this.now()}`, '+inf');
  }

  private async ruledHosts(): Promise<Set<string>> {
    const every = this.options.rulesRefreshMs ?? 5000;
    if (!this.ruled || this.now() - this.ruled.readAt >= every) {
      this.ruled = { hosts: new Set(await this.redis.hkeys(this.keys.siteRules)), readAt: this.now() };
    }
    return this.ruled.hosts;
  }
}
