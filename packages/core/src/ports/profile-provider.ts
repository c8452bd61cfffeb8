import type { Profile, ProxyConfig } from '../profile.js';

/** Where to open a WebDriver session that drives one started profile's browser. */
export interface WebDriverEndpoint {
  protocol: 'http' | 'https';
  hostname: string;
  port: number;
  path: string;
}

export type ProviderProfileStatus = 'running' | 'stopped' | 'starting' | 'error' | 'unknown';

/**
 * Starts and stops browser profiles: Multilogin X, or Fleet's local launcher speaking its API.
 * Errors are domain errors: RetryableError (provider busy, down, rate limited), ProfileFaultError
 * (proxy broken, profile locked: quarantine it), NonRetryableError (the request is wrong),
 * FatalError (credentials refused: fix the configuration).
 */
export interface ProfileProvider {
  /** Make the provider's profile match what Fleet wants (today: its proxy). Idempotent. */
  prepare(profile: Profile, proxy: ProxyConfig | null): Promise<void>;
  /** Start the profile's browser; answers the WebDriver endpoint bound to it. */
  start(profile: Profile, options?: { headless?: boolean }): Promise<WebDriverEndpoint>;
  /** Stop the browser. Stopping a stopped profile is not an error. */
  stop(profile: Profile): Promise<void>;
  /**
   * Clear a provider-side lock a crashed holder left (Multilogin's cloud session lock, which its
   * next start would meet as PROFILE_LOCKED), when the provider has one. Called only by reclaim,
   * after the fenced lease proved the old holder gone.
   */
  unlock?(profile: Profile): Promise<void>;
  status(profile: Profile): Promise<ProviderProfileStatus>;
}
