import {
  FatalError,
  isFleetError,
  LeaseLostError,
  ProfileFaultError,
  ProviderUnreachableError,
  RetryableError,
} from './errors.js';
import type { Lease, LeaseOutcome, PoolSelector } from './lease.js';
import type { LoggerPort } from './ports/logger-port.js';
import type { ProfileProvider, WebDriverEndpoint } from './ports/profile-provider.js';
import { type Profile, type ProxyConfig, proxyStillSealed } from './profile.js';
import type { ProfileAllocationService } from './profile-allocation-service.js';
import { type HeldLease, type ProfileSession, Session } from './profile-session.js';
import { moveSession } from './session-state.js';

export interface CheckoutOptions {
  /**
   * A batch's proxy to use instead of the profile's own. A warm profile is reused only when it
   * runs with the same proxy. A failing batch proxy is the batch's fault, not the profile's: the
   * profile is released `neutral` (never quarantined) and the attempt fails with a retryable
   * `BATCH_PROXY_FAILED`.
   */
  proxy?: ProxyConfig | null;
}

export interface GiveBackOptions {
  /**
   * Keep the lease and the browser for the next item (when warm reuse is on, the lease is still
   * ours and the outcome is not `failure`); otherwise the browser is stopped and the lease released.
   */
  keepWarm: boolean;
}

export interface ProfileSessionsOptions {
  owner: string;
  /** How long an idle started profile is kept for the next item; 0 turns warm reuse off. */
  warmIdleMs: number;
  /** How often leases are renewed (a third of the TTL is a good choice). */
  renewEveryMs: number;
  headless?: boolean;
  logger?: LoggerPort;
  /**
   * How long a profile rests when its provider (its home launcher) cannot be reached at start: the
   * pool tries other hosts' profiles meanwhile, and the profile comes back by itself. Default: the
   * release policy's cooldown.
   */
  unreachableRestMs?: number;
  /** Told of every profile this worker quarantines (e.g. to publish `profile.quarantined`). */
  onQuarantined?: (profileId: string, reason: string) => void | Promise<void>;
  /**
   * Told when a started browser leaves this worker's hands (given back, idle too long, quarantined,
   * its lease lost), before it is stopped: e.g. to end a WebDriver session kept on its endpoint.
   */
  onBrowserReleased?: (endpoint: WebDriverEndpoint) => void;
}

/**
 * Leases, starts, keeps warm and gives back profiles for one worker process. A warm profile keeps
 * its lease and browser for `warmIdleMs` after an item and goes to the next item whose selector it
 * matches (the same browser, and the WebDriver session the driver kept on it): starting a browser
 * costs about ten navigations (a session ~850 ms, a later navigation ~65 ms on 2 cores), so reuse
 * is where speed lives.
 */
export class ProfileSessions {
  /**
   * Every lease held, by profile id. A session becoming idle is moved to the end, so idle ones are
   * met oldest-idle first: warm reuse walks them from the end (it takes the one idle shortest), and
   * a profile given back to make room takes the one idle longest.
   */
  private readonly held = new Map<string, HeldLease>();
  /** Set by closeAll: no checkout, nothing kept warm. */
  private closed = false;
  /** Checkouts whose lease may still be granted: closeAll waits for them (see there). */
  private readonly granting = new Set<Promise<HeldLease | null>>();
  /** Running totals the worker's /metrics reads (quarantined: by a profile fault or a failure streak). */
  readonly stats = { starts: 0, warmReuses: 0, lost: 0, quarantined: 0 };

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
    if (this.closed) return null;
    const warm = this.reuseIdle(selector, options);
    if (warm) return { session: warm, warm: true };
    const granting = this.grant(selector);
    this.granting.add(granting);
    const held = await granting.finally(() => this.granting.delete(granting));
    return held ? { session: await this.start(held, options), warm: false } : null;
  }

  /** A lease, held; or null when none is free or the worker shuts down meanwhile. */
  private async grant(selector: PoolSelector): Promise<HeldLease | null> {
    const lease = await this.acquire(selector);
    if (!lease) return null;
    const held = this.hold(lease);
    if (this.closed) {
      // Granted while the worker shuts down (closeAll already ran or runs): give it straight back.
      await this.end(held, 'neutral');
      return null;
    }
    return held;
  }

  /**
   * Done with an item. Keep the profile warm (lease and browser) when asked and allowed, else stop
   * its browser and release the lease with the outcome. A session already given back (idle or
   * released, e.g. its lease was lost) is left alone.
   */
  async giveBack(session: ProfileSession, outcome: LeaseOutcome, options: GiveBackOptions): Promise<void> {
    const h = this.heldOf(session);
    if (h.state !== 'in-use') return;
    session.onRenew = null;
    if (
      options.keepWarm &&
      !this.closed &&
      this.options.warmIdleMs > 0 &&
      !session.lost.aborted &&
      outcome !== 'failure'
    ) {
      this.keepWarm(h);
      return;
    }
    await this.end(h, outcome);
  }

  /** The profile is at fault (proxy dead, locked): stop it and keep it out of the pool for a while. */
  async quarantine(session: ProfileSession, reason: string): Promise<void> {
    await this.quarantineHeld(this.heldOf(session), reason);
  }

  /**
   * For a caller that failed half-way (e.g. Redis went away): give the session back unless that
   * checkout (`use`, the `uses` it had) already did — a warm session may belong to the next item.
   */
  async abandon(session: ProfileSession, use: number): Promise<void> {
    if (session.uses === use && session.state === 'in-use') {
      await this.giveBack(session, 'neutral', { keepWarm: false });
    }
  }

  /**
   * Stop every browser and release every lease this worker holds (shutdown). From then on nothing
   * is kept warm and a checkout gets nothing (a lease granted in flight is given straight back), so
   * an item still finishing when its shutdown gave up waiting on it cannot leave a lease behind.
   */
  async closeAll(): Promise<void> {
    this.closed = true;
    // A lease granted in flight is given back by its checkout: wait for that, or the worker may
    // close its Redis connection before the release is sent (seen in the SIGTERM fault row under
    // load: one lease left until its TTL after an exit 0).
    await Promise.allSettled([...this.granting]);
    // Sessions may be handed back while others end: go round until none is held (a few rounds).
    for (let round = 0; round < 5 && this.held.size > 0; round++) {
      await Promise.all([...this.held.values()].map((h) => this.end(h, 'neutral')));
    }
  }

  get heldCount(): number {
    return this.held.size;
  }

  /**
   * An idle warm session that fits, moved back in use; or null. The one idle shortest: when fewer
   * items run than browsers are warm (the pressure gate holds the slots down, or the load falls),
   * the same few browsers do the work and the others stay idle until warmIdleMs releases them and
   * their memory, where taking the one idle longest kept every browser alive in turn (capacity
   * bench, a worker of 8 slots held at 2: 2-3 browsers busy, the other 5-6 at ~0% CPU).
   */
  private reuseIdle(selector: PoolSelector, options: CheckoutOptions): Session | null {
    for (const h of [...this.held.values()].reverse()) {
      const session = h.session;
      if (h.state !== 'idle' || !session || session.lost.aborted) continue;
      if (!matches(session.profile, selector)) continue;
      if (!sameProxy(session.proxy, wantedProxy(session.profile, options))) continue;
      this.clearIdleTimer(h);
      moveSession(h, 'in-use');
      session.uses++;
      this.stats.warmReuses++;
      return session;
    }
    return null;
  }

  private async acquire(selector: PoolSelector): Promise<Lease | null> {
    const lease = await this.allocation.acquire(selector, this.options.owner);
    if (lease) return lease;
    // None free, but this worker may keep idle warm profiles that did not fit (another proxy,
    // other tags): an idle browser must not hold up real work. Give one back and try once more.
    const idle = [...this.held.values()].find((h) => h.state === 'idle');
    if (!idle) return null;
    await this.end(idle, 'success');
    return this.allocation.acquire(selector, this.options.owner);
  }

  /** Prepares and starts the leased profile's browser; on failure applies the release policy. */
  private async start(h: HeldLease, options: CheckoutOptions): Promise<Session> {
    let profile: Profile | null = null;
    try {
      profile = await this.allocation.profile(h.profileId);
      if (!profile) throw new LeaseLostError(h.profileId, 'not-holder');
      const proxy = wantedProxy(profile, options);
      if (proxyStillSealed(proxy)) {
        throw new FatalError(
          'SECRET_KEY_MISSING',
          'a stored proxy password is encrypted: set FLEET_SECRET_KEY (the same on every API and worker)',
        );
      }
      await this.provider.prepare(profile, proxy);
      const endpoint = await this.provider.start(profile, { headless: this.options.headless ?? true });
      this.stats.starts++;
      if (h.state !== 'starting') {
        // The lease was lost, or shutdown closed everything, while the browser started: the
        // release could not stop a browser that was not up yet, so stop it now.
        await this.stopUnlessTaken(h.lease, profile);
        throw h.controller.signal.aborted
          ? h.controller.signal.reason
          : new LeaseLostError(h.profileId, 'not-holder');
      }
      h.session = new Session(h, profile, endpoint, proxy);
      moveSession(h, 'in-use');
      return h.session;
    } catch (error) {
      if (error instanceof ProfileFaultError && options.proxy !== undefined) {
        await this.end(h, 'neutral');
        throw new RetryableError('BATCH_PROXY_FAILED', `the batch's proxy failed: ${error.message}`, {
          cause: error,
        });
      }
      if (error instanceof ProfileFaultError && profile) {
        await this.quarantineHeld(h, error.message);
      } else if (error instanceof ProviderUnreachableError) {
        // Its host is down (or cut off): not the profile's fault; let it rest so other hosts' go first.
        await this.end(h, 'neutral', this.options.unreachableRestMs);
      } else {
        // The start reached the provider but its answer was lost: a browser may be running there.
        if (profile && startAnswerLost(error)) {
          await (h.state === 'starting' ? this.stopProfile(profile) : this.stopUnlessTaken(h.lease, profile));
        }
        // Retryable (provider busy) and fatal (our configuration) errors are not the profile's fault.
        const notProfiles = isFleetError(error) && (error.kind === 'retryable' || error.kind === 'fatal');
        await this.end(h, notProfiles ? 'neutral' : 'failure');
      }
      throw error;
    }
  }

  private hold(lease: Lease): HeldLease {
    const held: HeldLease = {
      profileId: lease.profileId,
      state: 'starting',
      lease,
      controller: new AbortController(),
      renewTimer: setInterval(() => void this.renew(held), this.options.renewEveryMs),
      idleTimer: null,
      session: null,
    };
    held.renewTimer.unref?.();
    this.held.set(lease.profileId, held);
    return held;
  }

  private keepWarm(h: HeldLease): void {
    moveSession(h, 'idle');
    // Last in the map: idle sessions are met oldest-idle first, reused from the end (see `held`).
    this.held.delete(h.profileId);
    this.held.set(h.profileId, h);
    h.idleTimer = setTimeout(() => {
      h.idleTimer = null;
      if (h.state !== 'idle') return;
      this.end(h, 'success').catch((error: unknown) => {
        this.options.logger?.warn({ err: error, profileId: h.profileId }, 'releasing an idle profile failed');
      });
    }, this.options.warmIdleMs);
    h.idleTimer.unref?.();
  }

  /** Released for good: stop the browser and release the lease with the outcome (once). */
  private async end(h: HeldLease, outcome: LeaseOutcome, restMs?: number): Promise<void> {
    if (h.state === 'released') return;
    moveSession(h, 'released');
    this.forget(h);
    await this.stopQuietly(h);
    if (h.controller.signal.aborted) return; // nothing to release: the lease is gone
    try {
      const released = await this.allocation.release(
        h.lease,
        outcome,
        restMs === undefined ? {} : { restMs },
      );
      if (released.quarantined) {
        this.stats.quarantined++;
        this.options.logger?.warn({ profileId: h.profileId }, 'profile quarantined after a failure streak');
      }
    } catch (error) {
      if (!(error instanceof LeaseLostError)) throw error;
      // Taken back while held (it expired unrenewed, e.g. across a network cut): say so, as a
      // refused renewal does.
      this.options.logger?.warn({ profileId: h.profileId }, 'lease lost');
    }
  }

  /**
   * Stop the browser and keep the profile out of the pool for the policy's quarantine time. A
   * session released meanwhile (its lease lost) leaves the browser alone: it may be a new holder's.
   */
  private async quarantineHeld(h: HeldLease, reason: string): Promise<void> {
    if (h.state !== 'released') {
      moveSession(h, 'released');
      this.forget(h);
      await this.stopQuietly(h);
    }
    await this.allocation.quarantine(h.profileId, reason, this.allocation.releasePolicy.quarantineMs);
    this.stats.quarantined++;
    this.options.logger?.warn({ profileId: h.profileId, reason }, 'profile quarantined');
    await this.options.onQuarantined?.(h.profileId, reason);
  }

  private async renew(h: HeldLease): Promise<void> {
    try {
      h.lease = await this.allocation.renew(h.lease);
      const onRenew = h.session?.onRenew;
      if (onRenew && !(await onRenew(h.lease))) {
        throw new LeaseLostError(h.profileId, 'not-holder');
      }
    } catch (error) {
      if (!(error instanceof LeaseLostError)) {
        // Redis hiccup: the next tick tries again; if the lease expires meanwhile, that renew fails.
        this.options.logger?.warn({ err: error, profileId: h.profileId }, 'lease renewal failed');
        return;
      }
      if (h.state === 'released') return; // given back while this renewal was on its way
      this.stats.lost++;
      this.options.logger?.warn({ profileId: h.profileId, reason: error.reason }, 'lease lost');
      h.controller.abort(error);
      moveSession(h, 'released');
      this.forget(h);
      // A session still starting has no browser up yet: `start` stops it once it is.
      if (h.session) await this.stopUnlessTaken(h.lease, h.session.profile);
    }
  }

  /**
   * After losing a lease (or the item under it): stop the browser — unless the profile already has
   * another holder. A worker paused past its TTL wakes up long after its lease was reclaimed (the
   * reclaimer stopped its browser then) and the profile re-leased: stopping it now would kill the
   * new holder's browser mid-item. A lease still ours (the item was taken over, not the lease) is
   * released too, so the profile need not wait for its TTL.
   */
  private async stopUnlessTaken(lease: Lease, profile: Profile): Promise<void> {
    let current: Profile | null;
    try {
      current = await this.allocation.profile(lease.profileId);
    } catch {
      return; // Redis away: the lease will expire and whoever reclaims it stops the browser
    }
    const holder = current?.lease;
    if (holder && holder.fence !== lease.fence) {
      this.options.logger?.info(
        { profileId: lease.profileId, fence: lease.fence, holderFence: holder.fence },
        'lease lost to a new holder: leaving its browser alone',
      );
      return;
    }
    await this.stopProfile(profile);
    if (holder) await this.allocation.release(lease, 'neutral').catch(() => undefined);
  }

  private forget(h: HeldLease): void {
    if (h.session) this.options.onBrowserReleased?.(h.session.endpoint);
    clearInterval(h.renewTimer);
    this.clearIdleTimer(h);
    if (this.held.get(h.profileId) === h) this.held.delete(h.profileId);
  }

  private clearIdleTimer(h: HeldLease): void {
    if (h.idleTimer) clearTimeout(h.idleTimer);
    h.idleTimer = null;
  }

  /** The record behind a session (only this class makes sessions). */
  private heldOf(session: ProfileSession): HeldLease {
    if (!(session instanceof Session)) {
      throw new Error(`profile session ${session.lease.profileId} was not made by ProfileSessions.checkout`);
    }
    return session.held;
  }

  private async stopQuietly(h: HeldLease): Promise<void> {
    if (h.session) await this.stopProfile(h.session.profile);
  }

  private async stopProfile(profile: Profile): Promise<void> {
    try {
      await this.provider.stop(profile);
    } catch (error) {
      this.options.logger?.warn({ err: error, profileId: profile.id }, 'stopping the profile failed');
    }
  }
}

/** A start that may have run on the provider though no answer came (the connection broke, time ran out). */
function startAnswerLost(error: unknown): boolean {
  return (
    isFleetError(error) && (error.code === 'PROVIDER_CONNECTION_LOST' || error.code === 'PROVIDER_TIMEOUT')
  );
}

function wantedProxy(profile: Profile, options: CheckoutOptions): ProxyConfig | null {
  return options.proxy !== undefined ? options.proxy : profile.proxy;
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
