import {
  type LoggerPort,
  NonRetryableError,
  type Profile,
  ProfileFaultError,
  type ProfileProvider,
  type ProviderProfileStatus,
  ProviderUnreachableError,
  type ProxyConfig,
  type WebDriverEndpoint,
} from '@fleet/core';
import type { MultiloginClient } from './client.js';
import { originOf } from './errors.js';
import { MultiloginProfileProvider } from './profile-provider.js';
import { type MultiloginSettings, ProviderClients } from './settings.js';

export interface HomeLauncherProviderOptions {
  /** Start browsers headless unless `start` is told otherwise (default true). */
  headless?: boolean;
  logger?: LoggerPort;
  /**
   * A provider host could not be reached (every failed call: starts, stops, status). `provider` is
   * its origin, e.g. `http://10.0.0.12:45001`.
   */
  onUnreachable?: (provider: string, error: ProviderUnreachableError) => void;
  /** A provider host answered again after it had been unreachable. */
  onReachable?: (provider: string) => void;
  /**
   * A provider host answered a call, this worker not having found it unreachable: at most once per
   * `answeredEveryMs` (default 2000) per host. Another worker may have marked it down in the pool
   * view; a host that answers anyone is up (the worker clears that mark here).
   */
  onAnswered?: (provider: string) => void;
  answeredEveryMs?: number;
  /**
   * After a host was found unreachable, calls to it fail at once (no connection tried) for this
   * long (default 5000 ms): a host cut off would otherwise hold every item that meets one of its
   * profiles for a connect timeout per try. The next call after it tries the host again.
   */
  retryDownAfterMs?: number;
  now?: () => number;
}

/**
 * The profile's home launcher, or this worker's own provider (DESIGN.md section 7, placement).
 *
 * A local profile lives in one launcher's data directory: its *home*, recorded with the profile as
 * `providerIds.launcher` (the launcher's URL). Any worker on any host may lease it; the browser is
 * started, driven and stopped on the home launcher over the network, which is both the profile's
 * "cloud" (proxy updates) and its agent (start, stop). A profile without a home (Multilogin X, or a
 * single-launcher fleet) goes to the worker's configured provider (`MULTILOGIN_API_URL` and
 * `MULTILOGIN_LAUNCHER_URL`). Every launcher of one fleet takes the same sign-in.
 *
 * A launcher that does not hold the profile answers PROFILE_NOT_FOUND: the record is wrong (the
 * profile lives elsewhere), which says nothing about the profile's health. It becomes
 * PROFILE_NOT_AT_LAUNCHER, a profile fault whose quarantine says what to fix.
 */
export class HomeLauncherProvider implements ProfileProvider {
  private readonly clients: ProviderClients;
  private readonly providers = new Map<string, MultiloginProfileProvider>();
  private readonly own: MultiloginProfileProvider;
  /** Origins that were unreachable at their last call → when that call failed. */
  private readonly down = new Map<string, number>();
  /** Origins → when `onAnswered` last told of them. */
  private readonly answeredAt = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly settings: MultiloginSettings,
    private readonly options: HomeLauncherProviderOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.clients = new ProviderClients(settings, options.logger);
    this.own = this.providerOf(this.clients.own);
  }

  /** The launcher URL a profile is started at: its home, or the worker's own launcher. */
  homeOf(profile: Profile): string {
    return profile.providerIds.launcher || this.settings.multiloginLauncherUrl;
  }

  prepare(profile: Profile, proxy: ProxyConfig | null): Promise<void> {
    return this.call(profile, (p) => p.prepare(profile, proxy));
  }

  start(profile: Profile, options: { headless?: boolean } = {}): Promise<WebDriverEndpoint> {
    return this.call(profile, (p) =>
      p.start(profile, { headless: options.headless ?? this.options.headless ?? true }),
    );
  }

  stop(profile: Profile): Promise<void> {
    return this.call(profile, (p) => p.stop(profile));
  }

  unlock(profile: Profile): Promise<void> {
    return this.call(profile, (p) => p.unlock(profile));
  }

  status(profile: Profile): Promise<ProviderProfileStatus> {
    return this.call(profile, (p) => p.status(profile));
  }

  private async call<T>(
    profile: Profile,
    run: (provider: MultiloginProfileProvider) => Promise<T>,
  ): Promise<T> {
    const home = profile.providerIds.launcher;
    const provider = home ? this.homeProvider(home) : this.own;
    const origin = originOf(provider.launcherUrl); // its agent (for a home: also its cloud)
    const failedAt = this.down.get(origin);
    if (failedAt !== undefined && this.now() - failedAt < (this.options.retryDownAfterMs ?? 5000)) {
      throw new ProviderUnreachableError(
        origin,
        `${origin} was not reachable ${this.now() - failedAt} ms ago: not tried again yet (is its host up?)`,
      );
    }
    try {
      const result = await run(provider);
      this.answered(provider);
      return result;
    } catch (error) {
      if (error instanceof ProviderUnreachableError) {
        this.down.set(error.provider, this.now());
        this.options.onUnreachable?.(error.provider, error);
      } else {
        this.answered(provider);
      }
      if (home && error instanceof NonRetryableError && error.code === 'PROFILE_NOT_FOUND') {
        throw new ProfileFaultError(
          'PROFILE_NOT_AT_LAUNCHER',
          `profile "${profile.id}" is not held by its home launcher ${originOf(home)}: it lives elsewhere; set its launcher (PATCH /v1/profiles/${profile.id} {"launcher": "<url>"}) or unregister it`,
          { cause: error, details: error.details },
        );
      }
      throw error;
    }
  }

  private answered(provider: MultiloginProfileProvider): void {
    const origin = originOf(provider.launcherUrl);
    if (this.down.delete(origin)) {
      this.options.onReachable?.(origin);
      this.answeredAt.set(origin, this.now());
      return;
    }
    if (!this.options.onAnswered) return;
    const last = this.answeredAt.get(origin);
    if (last !== undefined && this.now() - last < (this.options.answeredEveryMs ?? 2000)) return;
    this.answeredAt.set(origin, this.now());
    this.options.onAnswered(origin);
  }

  private homeProvider(url: string): MultiloginProfileProvider {
    let provider = this.providers.get(url);
    if (!provider) {
      provider = this.providerOf(this.clients.at(url));
      this.providers.set(url, provider);
    }
    return provider;
  }

  private providerOf(client: MultiloginClient): MultiloginProfileProvider {
    return new MultiloginProfileProvider(client, { headless: this.options.headless ?? true });
  }
}
