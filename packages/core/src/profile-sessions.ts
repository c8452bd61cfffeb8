import { FatalError, isFleetError, LeaseLostError, ProfileFaultError, RetryableError } from './errors.js';
import type { Lease, LeaseOutcome, PoolSelector } from './lease.js';
import type { LoggerPort } from './logger-port.js';
import type { ProfileProvider, WebDriverEndpoint } from './ports/profile-provider.js';
import { type Profile, type ProxyConfig, proxyStillSealed } from './profile.js';
import type { ProfileAllocationService } from './profile-allocation-service.js';

/** A started profile this worker holds: its lease (renewed in the background) and endpoint. */
export interface ProfileSession {
  readonly profile: Profile;
  readonly endpoint: WebDriverEndpoint;
  /** The current lease (renewals replace it). */
  lease: Lease;
  /** Fires when the lease is lost: stop driving the profile, write nothing more under it. */
  readonly lost: AbortSignal;
  /** Called after each successful renewal (e.g. to move the item's claim along); false = stale. */
  onRenew: ((lease: Lease) => Promise<boolean>) | null;
  /** Items this browser has run (1 = fresh start); also tells one checkout from the next. */
  uses: number;
  /** Given back (or quarantined) since its latest checkout. */
  returned: boolean;
  /** The proxy the browser was started with (the profile's own, or a batch's). */
  proxy: ProxyConfig | null;
}

export interface CheckoutOptions {
  /**
   * A batch's proxy to use instead of the profile's own. A warm profile is reused only when it
   * runs with the same proxy. A failing batch proxy is the batch's fault, not the profile's: the
   * profile is released `neutral` (never quarantined) and the attempt fails with a retryable
   * `BATCH_PROXY_FAILED`.
   */
  proxy?: ProxyConfig | null;
}

export interface ProfileSessionsOptions {
  owner: string;
  /** How long an idle started profile is kept for the next item; 0 turns warm reuse off. */
  warmIdleMs: number;
  /** How often leases are renewed (a third of the TTL is a good choice). */
  renewEveryMs: number;
  headless?: boolean;
  logger?: LoggerPort;
  /** Told of every profile this worker quarantines (e.g. to publish `profile.quarantined`). */
  onQuarantined?: (profileId: string, reason: string) => void | Promise<void>;
}

interface Held {
  session: ProfileSession;
  controller: AbortController;
  renewTimer: NodeJS.Timeout;
  idleTimer: NodeJS.Timeout | null;
}

/**
 * Leases, starts, keeps warm and gives back profiles for one worker process. A warm profile keeps
 * its lease and browser for `warmIdleMs` after an item and goes to the next item whose selector it
 * matches (a fresh WebDriver session on the same browser): starting a browser costs about ten
 * navigations (STACK.md), so reuse is where speed lives.
 */
export class ProfileSessions {
  private readonly held = new Map<string, Held>();
  private readonly idle = new Set<string>();
  readonly stats = { starts: 0, warmReuses: 0, lost: 0 };

  constructor(
    private readonly allocation: ProfileAllocationService,
    private readonly provider: ProfileProvider,
    private readonly options: ProfileSessionsOptions,
  ) {}

  /** A started profile matching the selector (warm if one is idle), or null when none is free. */
  async checkout(
    selector: PoolSelector,
    options: CheckoutOptions = {},
  ): Promise<{ session: ProfileSession; warm: boolean } | null> {
    const wanted = (profile: Profile) => (options.proxy !== undefined ? options.proxy : profile.proxy);
    for (const id of this.idle) {
      const h = this.held.get(id)!;
      if (!matches(h.session.profile, selector) || h.session.lost.aborted) continue;
      if (!sameProxy(h.session.proxy, wanted(h.session.profile))) continue;
      this.idle.delete(id);
      if (h.idleTimer) clearTimeout(h.idleTimer);
      h.idleTimer = null;
      h.session.uses++;
      h.session.returned = false;
      this.stats.warmReuses++;
      return { session: h.session, warm: true };
    }
    let lease = await this.allocation.acquire(selector, this.options.owner);
    if (!lease && this.idle.size > 0) {
      // None free, but this worker keeps idle warm profiles that did not fit (another proxy, other
      // tags): an idle browser must not hold up real work. Give one back and try once more.
      const [id] = this.idle;
      const h = this.held.get(id!)!;
      this.idle.delete(id!);
      h.session.returned = false; // given back once to idle; now for good
      await this.giveBack(h.session, 'success', false);
      lease = await this.allocation.acquire(selector, this.options.owner);
    }
    if (!lease) return null;
    const held = this.hold(lease);
    try {
      const profile = await this.allocation.profile(lease.profileId);
      if (!profile) throw new LeaseLostError(lease.profileId, 'not-holder');
      Object.assign(held.session, { profile });
      const proxy = wanted(profile);
      if (proxyStillSealed(proxy)) {
        throw new FatalError(
          'SECRET_KEY_MISSING',
          'a stored proxy password is encrypted: set FLEET_SECRET_KEY (the same on every API and worker)',
        );
      }
      await this.provider.prepare(profile, proxy);
      const endpoint = await this.provider.start(profile, { headless: this.options.headless ?? true });
      this.stats.starts++;
      Object.assign(held.session, { endpoint, uses: 1, returned: false, proxy });
      return { session: held.session, warm: false };
    } catch (error) {
      const session = held.session;
      if (error instanceof ProfileFaultError && options.proxy !== undefined) {
        await this.giveBack(session, 'neutral', false);
        throw new RetryableError('BATCH_PROXY_FAILED', `the batch's proxy failed: ${error.message}`, {
          cause: error,
        });
      }
      if (error instanceof ProfileFaultError && session.profile) {
        await this.quarantine(session, error.message);
      } else {
        await this.giveBack(
          session,
          // Retryable (provider busy) and fatal (our configuration) errors are not the profile's fault.
          isFleetError(error) && (error.kind === 'retryable' || error.kind === 'fatal')
            ? 'neutral'
            : 'failure',
          false,
        );
      }
      throw error;
    }
  }

  /**
   * Done with an item. Keep the profile warm (lease and browser) when asked and allowed, else stop
   * its browser and release the lease with the outcome.
   */
  async giveBack(session: ProfileSession, outcome: LeaseOutcome, keepWarm: boolean): Promise<void> {
    if (session.returned) return;
    session.returned = true;
    const h = this.held.get(session.lease.profileId);
    if (!h || h.session !== session) return;
    session.onRenew = null;
    if (keepWarm && this.options.warmIdleMs > 0 && !session.lost.aborted && outcome !== 'failure') {
      this.idle.add(session.lease.profileId);
      h.idleTimer = setTimeout(() => {
        if (!this.idle.delete(session.lease.profileId)) return;
        session.returned = false; // given back once to idle; now for good
        void this.giveBack(session, 'success', false);
      }, this.options.warmIdleMs);
      h.idleTimer.unref?.();
      return;
    }
    this.forget(h);
    await this.stopQuietly(session);
    if (session.lost.aborted) return; // nothing to release: the lease is gone
    try {
      await this.allocation.release(session.lease, outcome);
    } catch (error) {
      if (!(error instanceof LeaseLostError)) throw error;
    }
  }

  /** The profile is at fault (proxy dead, locked): stop it and keep it out of the pool for a while. */
  async quarantine(session: ProfileSession, reason: string): Promise<void> {
    session.returned = true;
    const h = this.held.get(session.lease.profileId);
    if (h) this.forget(h);
    await this.stopQuietly(session);
    await this.allocation.quarantine(
      session.lease.profileId,
      reason,
      this.allocation.releasePolicy.quarantineMs,
    );
    this.options.logger?.warn({ profileId: session.lease.profileId, reason }, 'profile quarantined');
    await this.options.onQuarantined?.(session.lease.profileId, reason);
  }

  /**
   * For a caller that failed half-way (e.g. Redis went away): give the session back unless that
   * checkout (`use`, the `uses` it had) already did — a warm session may belong to the next item.
   */
  async abandon(session: ProfileSession, use: number): Promise<void> {
    if (session.uses === use && !session.returned) await this.giveBack(session, 'neutral', false);
  }

  /** Stop every browser and release every lease this worker holds (shutdown). */
  async closeAll(): Promise<void> {
    await Promise.all(
      [...this.held.values()].map((h) => {
        h.session.returned = false; // idle warm sessions were given back once already: now for good
        return this.giveBack(h.session, 'neutral', false);
      }),
    );
  }

  get heldCount(): number {
    return this.held.size;
  }

  private hold(lease: Lease): Held {
    const controller = new AbortController();
    const session = {
      lease,
      lost: controller.signal,
      onRenew: null,
      uses: 0,
      returned: false,
      proxy: null,
    } as unknown as ProfileSession;
    const held: Held = {
      session,
      controller,
      renewTimer: setInterval(() => void this.renew(held), this.options.renewEveryMs),
      idleTimer: null,
    };
    held.renewTimer.unref?.();
    this.held.set(lease.profileId, held);
    return held;
  }

  private async renew(h: Held): Promise<void> {
    const { session } = h;
    try {
      session.lease = await this.allocation.renew(session.lease);
      if (session.onRenew && !(await session.onRenew(session.lease))) {
        throw new LeaseLostError(session.lease.profileId, 'not-holder');
      }
    } catch (error) {
      if (!(error instanceof LeaseLostError)) {
        // Redis hiccup: the next tick tries again; if the lease expires meanwhile, that renew fails.
        this.options.logger?.warn({ err: error, profileId: session.lease.profileId }, 'lease renewal failed');
        return;
      }
      this.stats.lost++;
      this.options.logger?.warn({ profileId: session.lease.profileId, reason: error.reason }, 'lease lost');
      h.controller.abort(error);
      this.idle.delete(session.lease.profileId);
      this.forget(h);
      await this.stopUnlessTaken(session);
    }
  }

  /**
   * After losing a lease (or the item under it): stop the browser — unless the profile already has
   * another holder. A worker paused past its TTL wakes up long after its lease was reclaimed (the
   * reclaimer stopped its browser then) and the profile re-leased: stopping it now would kill the
   * new holder's browser mid-item. A lease still ours (the item was taken over, not the lease) is
   * released too, so the profile need not wait for its TTL.
   */
  private async stopUnlessTaken(session: ProfileSession): Promise<void> {
    let current: Profile | null;
    try {
      current = await this.allocation.profile(session.lease.profileId);
    } catch {
      return; // Redis away: the lease will expire and whoever reclaims it stops the browser
    }
    const holder = current?.lease;
    if (holder && holder.fence !== session.lease.fence) {
      this.options.logger?.info(
        { profileId: session.lease.profileId, fence: session.lease.fence, holderFence: holder.fence },
        'lease lost to a new holder: leaving its browser alone',
      );
      return;
    }
    await this.stopQuietly(session);
    if (holder) await this.allocation.release(session.lease, 'neutral').catch(() => undefined);
  }

  private forget(h: Held): void {
    clearInterval(h.renewTimer);
    if (h.idleTimer) clearTimeout(h.idleTimer);
    this.idle.delete(h.session.lease.profileId);
    if (this.held.get(h.session.lease.profileId) === h) this.held.delete(h.session.lease.profileId);
  }

  private async stopQuietly(session: ProfileSession): Promise<void> {
    if (!session.profile || !session.endpoint) return;
    try {
      await this.provider.stop(session.profile);
    } catch (error) {
      this.options.logger?.warn({ err: error, profileId: session.profile.id }, 'stopping the profile failed');
    }
  }
}

function matches(profile: Profile, selector: PoolSelector): boolean {
  return profile.pool === selector.pool && (selector.tags ?? []).every((t) => profile.tags.includes(t));
}

function sameProxy(a: ProxyConfig | null, b: ProxyConfig | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.type === b.type &&
    a.host === b.host &&
    a.port === b.port &&
    a.username === b.username &&
    a.password === b.password
  );
}
