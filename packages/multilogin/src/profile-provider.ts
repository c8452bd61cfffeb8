import {
  NonRetryableError,
  type Profile,
  type ProfileProvider,
  type ProviderProfileStatus,
  type ProxyConfig,
  RetryableError,
  type WebDriverEndpoint,
} from '@fleet/core';
import { ATTR, inSpan } from '@fleet/telemetry';
import type { MultiloginClient } from './client.js';

export interface MultiloginProfileProviderOptions {
  /** Start browsers headless unless `start` is told otherwise (default true). */
  headless?: boolean;
  /**
   * Host of the WebDriver ports the launcher answers. Default: 127.0.0.1 when the launcher URL is
   * loopback or Multilogin's `launcher.mlx.yt` (which resolves to 127.0.0.1), else the launcher
   * URL's host (a launcher in another container answers ports on its own host).
   */
  webdriverHost?: string;
}

/** Provider words for "stop had nothing to stop"; stopping a stopped profile is not an error. */
const NOT_RUNNING = /NOT_RUNNING|NOT_STARTED|NOT_ACTIVE|ALREADY_STOPPED|ALREADY_CLOSED/;

/**
 * ProfileProvider over the Multilogin X API (or Fleet's launcher speaking it).
 *
 * Ids: Multilogin knows a profile by its own UUID; Fleet's id is whatever the profile was registered
 * under. The provider uses `profile.providerIds.multiloginId` when set, else the Fleet id itself
 * (profiles imported from Multilogin are registered under their Multilogin id, so most need
 * nothing). `profile.providerIds.folderId` is required to start: Multilogin's start URL names it.
 */
export class MultiloginProfileProvider implements ProfileProvider {
  private readonly headless: boolean;
  private readonly webdriverHost: string;

  constructor(
    private readonly client: MultiloginClient,
    options: MultiloginProfileProviderOptions = {},
  ) {
    this.headless = options.headless ?? true;
    this.webdriverHost = options.webdriverHost ?? defaultWebdriverHost(client.options.launcherUrl);
  }

  /** The launcher (agent) this provider starts profiles on. */
  get launcherUrl(): string {
    return this.client.options.launcherUrl;
  }

  /**
   * Sets the profile's proxy at the provider before each fresh start. No cache: another worker may
   * have set another proxy since (a batch's own proxy, DESIGN.md section 3), and a process-local
   * record of "what I set last" then skips an update that is needed — seen in the batch-proxy e2e
   * test, where a plain batch's pages went through the previous batch's proxy. It costs one
   * partial update per browser start (a start costs about ten navigations). A null proxy clears
   * it (`proxy_masking: "disabled"`, see MultiloginClient.setProxy).
   */
  prepare(profile: Profile, proxy: ProxyConfig | null): Promise<void> {
    return inSpan('profile.prepare', { attributes: { [ATTR.profileId]: profile.id } }, () =>
      this.client.setProxy(providerProfileId(profile), proxy),
    );
  }

  /**
   * Starts the browser and answers the WebDriver endpoint bound to it. PROFILE_ALREADY_RUNNING (a
   * browser left by a crashed worker, or a warm one) is handled by one stop and one more start;
   * if that start fails too, its error is thrown. In a `browser.start` span (README "Tracing").
   */
  start(profile: Profile, options: { headless?: boolean } = {}): Promise<WebDriverEndpoint> {
    return inSpan('browser.start', { attributes: { [ATTR.profileId]: profile.id } }, () =>
      this.startBrowser(profile, options),
    );
  }

  private async startBrowser(profile: Profile, options: { headless?: boolean }): Promise<WebDriverEndpoint> {
    const id = providerProfileId(profile);
    const folderId = profile.providerIds.folderId;
    if (!folderId) {
      throw new NonRetryableError(
        'PROFILE_FOLDER_MISSING',
        `profile "${profile.id}" has no providerIds.folderId: Multilogin starts a profile by folder and id; register the profile with its folder id`,
      );
    }
    const headless = options.headless ?? this.headless;
    let started: Awaited<ReturnType<MultiloginClient['startProfile']>>;
    try {
      started = await this.client.startProfile(folderId, id, { headless });
    } catch (error) {
      if (!(error instanceof RetryableError) || error.code !== 'PROFILE_ALREADY_RUNNING') throw error;
      this.client.options.logger.warn(
        { profileId: profile.id },
        'profile already running: stopping it, then starting again',
      );
      await this.client.stopProfile(id);
      started = await this.client.startProfile(folderId, id, { headless });
    }
    return { protocol: 'http', hostname: this.webdriverHost, port: started.port, path: '/' };
  }

  async stop(profile: Profile): Promise<void> {
    try {
      await this.client.stopProfile(providerProfileId(profile));
    } catch (error) {
      if (error instanceof NonRetryableError && NOT_RUNNING.test(error.code)) return;
      throw error;
    }
  }

  async unlock(profile: Profile): Promise<void> {
    await this.client.unlockProfiles([providerProfileId(profile)]);
  }

  async status(profile: Profile): Promise<ProviderProfileStatus> {
    const { status } = await this.client.profileStatus(providerProfileId(profile));
    return mapStatus(status);
  }
}

/** The id the provider knows the profile by (see the class comment). */
export function providerProfileId(profile: Profile): string {
  return profile.providerIds.multiloginId || profile.id;
}

/** Multilogin's status words → Fleet's. Unknown words stay 'unknown' rather than guessed. */
export function mapStatus(status: string): ProviderProfileStatus {
  const s = status.toLowerCase();
  if (s.includes('error') || s.includes('fail')) return 'error';
  if (s === 'browser_running' || s === 'running' || s === 'active') return 'running';
  if (['stopped', 'browser_stopped', 'closed', 'not_running', 'inactive', 'idle'].includes(s))
    return 'stopped';
  if (s.includes('start') || s.includes('launch') || s.includes('download')) return 'starting';
  return 'unknown';
}

/** Where the started browser's WebDriver port is reached: loopback for a launcher on this machine. */
function defaultWebdriverHost(launcherUrl: string): string {
  const host = new URL(launcherUrl).hostname.replace(/^\[|\]$/g, '');
  const local =
    host === 'localhost' || host === '::1' || host.startsWith('127.') || host === 'launcher.mlx.yt';
  return local ? '127.0.0.1' : host;
}
