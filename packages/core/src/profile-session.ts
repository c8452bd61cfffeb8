import type { Lease } from './lease.js';
import type { WebDriverEndpoint } from './ports/profile-provider.js';
import type { Profile, ProxyConfig } from './profile.js';
import type { HasSessionState, SessionState } from './session-state.js';

/** A started profile this worker holds: its lease (renewed in the background) and endpoint. */
export interface ProfileSession {
  readonly profile: Profile;
  readonly endpoint: WebDriverEndpoint;
  /** The current lease (renewals replace it). */
  readonly lease: Lease;
  /** Fires when the lease is lost: stop driving the profile, write nothing more under it. */
  readonly lost: AbortSignal;
  /** `in-use` from checkout until given back; then `idle` (kept warm) or `released`. */
  readonly state: SessionState;
  /** Items this browser has run (1 = fresh start); also tells one checkout from the next. */
  readonly uses: number;
  /** The proxy the browser was started with (the profile's own, or a batch's). */
  readonly proxy: ProxyConfig | null;
  /** Called after each successful renewal (e.g. to move the item's claim along); false = stale. */
  onRenew: ((lease: Lease) => Promise<boolean>) | null;
}

// HeldLease and Session are ProfileSessions' own (not exported from the package): callers see
// ProfileSession, and only ProfileSessions.checkout makes one.

/**
 * One lease this worker holds, from acquire to release. Its state moves by SESSION_MOVES; its
 * session exists once the browser runs (null while `starting`).
 */
export interface HeldLease extends HasSessionState {
  lease: Lease;
  readonly controller: AbortController;
  readonly renewTimer: NodeJS.Timeout;
  idleTimer: NodeJS.Timeout | null;
  session: Session | null;
}

/** The session handed to callers: a view of its HeldLease (lease and state live there only). */
export class Session implements ProfileSession {
  uses = 1;
  onRenew: ((lease: Lease) => Promise<boolean>) | null = null;

  constructor(
    readonly held: HeldLease,
    readonly profile: Profile,
    readonly endpoint: WebDriverEndpoint,
    readonly proxy: ProxyConfig | null,
  ) {}

  get lease(): Lease {
    return this.held.lease;
  }
  get lost(): AbortSignal {
    return this.held.controller.signal;
  }
  get state(): SessionState {
    return this.held.state;
  }
}
