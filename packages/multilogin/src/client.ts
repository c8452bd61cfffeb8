import type { ProxyConfig } from '@fleet/core';
import {
  type CreateProfileInput,
  type Folder,
  type ProfileSearch,
  type ProfileSearchPage,
  type ProviderProfile,
  readFolders,
  readGrant,
  readProfileIds,
  readSearchPage,
  readStart,
  readStatus,
  readVersion,
  type StartedProfile,
  type StatusAnswer,
  type VersionAnswer,
} from './answers.js';
import { type AuthCalls, type TokenGrant, TokenManager } from './auth.js';
import { ProviderCaller } from './call.js';
import { badAnswerError, type CallContext } from './errors.js';
import { HttpTransport } from './http.js';
import { type MultiloginClientOptions, type ResolvedOptions, resolveOptions } from './options.js';

/** Largest page Multilogin's profile search accepts. */
export const MAX_PAGE_SIZE = 100;

/**
 * Client for the Multilogin X cloud API and launcher, and for Fleet's launcher that speaks the same
 * contract (packages/multilogin/README.md). Methods answer plain data or throw domain errors (errors.ts).
 */
export class MultiloginClient {
  readonly options: ResolvedOptions;
  private readonly transport: HttpTransport;
  private readonly caller: ProviderCaller;

  constructor(options: MultiloginClientOptions = {}) {
    this.options = resolveOptions(options);
    this.transport = new HttpTransport(this.options);
    const tokens = new TokenManager(this.options, this.authCalls(), this.options.logger);
    this.caller = new ProviderCaller(this.options, this.transport, tokens);
  }

  /** The launcher's version: a cheap health check that needs no token. */
  async version(): Promise<VersionAnswer> {
    const data = await this.caller.run({
      operation: 'version',
      service: 'launcher',
      method: 'GET',
      path: '/api/v1/version',
      auth: false,
      idempotent: true,
    });
    return readVersion(data);
  }

  async searchProfiles(search: ProfileSearch = {}): Promise<ProfileSearchPage> {
    const limit = Math.min(MAX_PAGE_SIZE, Math.max(1, search.limit ?? MAX_PAGE_SIZE));
    const json: Record<string, unknown> = {
      is_removed: false,
      limit,
      offset: Math.max(0, search.offset ?? 0),
      search_text: search.searchText ?? '',
      storage_type: 'all',
    };
    if (search.folderId) json.folder_id = search.folderId;
    if (search.tags?.length) json.tags = search.tags;
    const data = await this.caller.run({
      operation: 'searchProfiles',
      service: 'api',
      method: 'POST',
      path: '/profile/search',
      json,
      auth: true,
      idempotent: true,
    });
    return readSearchPage(data);
  }

  /** Every profile matching `search`, page by page (for import). */
  async *allProfiles(
    search: Omit<ProfileSearch, 'offset'> = {},
  ): AsyncGenerator<ProviderProfile, void, undefined> {
    const limit = Math.min(MAX_PAGE_SIZE, Math.max(1, search.limit ?? MAX_PAGE_SIZE));
    for (let offset = 0; ; offset += limit) {
      const page = await this.searchProfiles({ ...search, limit, offset });
      yield* page.profiles;
      const seen = offset + page.profiles.length;
      // Stop on a short page; also on the total when the provider gives one (saves one call).
      if (page.profiles.length < limit || (page.total !== undefined && seen >= page.total)) return;
    }
  }

  async listFolders(): Promise<Folder[]> {
    const data = await this.caller.run({
      operation: 'listFolders',
      service: 'api',
      method: 'GET',
      path: '/workspace/folders',
      auth: true,
      idempotent: true,
    });
    return readFolders(data);
  }

  /**
   * Create a profile (Fleet's launcher; Multilogin takes many more fingerprint fields, which it
   * defaults). Not repeated on failure: a repeat could create two profiles. Answers the new id.
   */
  async createProfile(input: CreateProfileInput): Promise<string> {
    const json: Record<string, unknown> = {
      name: input.name,
      folder_id: input.folderId,
      browser_type: input.browserType ?? 'mimic',
      os_type: input.osType ?? 'linux',
      parameters: {
        flags: { proxy_masking: input.proxy ? 'custom' : 'disabled' },
        storage: { is_local: false },
        fingerprint: {},
      },
    };
    if (input.proxy) json.proxy = proxyBody(input.proxy);
    if (input.tags?.length) json.tags = input.tags;
    const data = await this.caller.run({
      operation: 'createProfile',
      service: 'api',
      method: 'POST',
      path: '/profile/create',
      json,
      auth: true,
      idempotent: false,
    });
    const [id] = readProfileIds(data);
    if (!id) throw this.badAnswer('createProfile', 'api', 'POST', '/profile/create', 'no profile id');
    return id;
  }

  /** Remove profiles (`permanently` skips Multilogin's trash). Removing twice is harmless. */
  async removeProfiles(profileIds: string[], permanently = true): Promise<void> {
    await this.caller.run({
      operation: 'removeProfiles',
      service: 'api',
      method: 'POST',
      path: '/profile/remove',
      json: { ids: profileIds, permanently },
      auth: true,
      idempotent: true,
    });
  }

  /**
   * Set (or, with null, clear) a profile's proxy. Setting is a plain overwrite, so it is repeated on
   * transient failures. Clearing sends `proxy_masking: "disabled"` without a proxy object: the
   * partial update leaves fields it is not given alone, and "disabled" is the masking mode that
   * makes a profile connect directly.
   */
  async setProxy(profileId: string, proxy: ProxyConfig | null): Promise<void> {
    const json = proxy
      ? { profile_id: profileId, proxy: proxyBody(proxy), parameters: { flags: { proxy_masking: 'custom' } } }
      : { profile_id: profileId, parameters: { flags: { proxy_masking: 'disabled' } } };
    await this.caller.run({
      operation: 'setProxy',
      service: 'api',
      method: 'POST',
      path: '/profile/partial_update',
      json,
      auth: true,
      idempotent: true,
    });
  }

  /**
   * Start a profile for Selenium/WebDriver. Not repeated after a 5xx, a timeout or a dropped
   * connection (the launcher may have started the browser: a repeat would meet
   * PROFILE_ALREADY_RUNNING or start a second one); repeated after a 429 or a refused connection
   * (nothing was started); CORE_DOWNLOADING_* answers are waited out with `coreDownloadPauseMs`.
   */
  async startProfile(
    folderId: string,
    profileId: string,
    options: { headless?: boolean } = {},
  ): Promise<StartedProfile> {
    const path = `/api/v2/profile/f/${encodeURIComponent(folderId)}/p/${encodeURIComponent(profileId)}/start`;
    const data = await this.caller.run({
      operation: 'startProfile',
      service: 'launcher',
      method: 'GET',
      path,
      searchParams: { automation_type: 'selenium', headless_mode: String(options.headless ?? true) },
      auth: true,
      idempotent: false,
      waitForCore: true,
      timeoutMs: this.options.timeouts.startMs,
    });
    const started = readStart(data);
    if (!started) throw this.badAnswer('startProfile', 'launcher', 'GET', path, 'no usable port');
    return started;
  }

  async stopProfile(profileId: string): Promise<void> {
    await this.caller.run({
      operation: 'stopProfile',
      service: 'launcher',
      method: 'GET',
      path: `/api/v1/profile/stop/p/${encodeURIComponent(profileId)}`,
      auth: true,
      idempotent: true,
    });
  }

  /**
   * Clear the cloud's lock on profiles a crashed session left locked (Multilogin: `GET
   * /bpds/profile/unlock_profiles?ids=…`; the launcher stops the profile's browser). Only for
   * profiles no live holder uses: Fleet calls it from reclaim, after the fenced lease was taken back.
   */
  async unlockProfiles(profileIds: string[]): Promise<void> {
    await this.caller.run({
      operation: 'unlockProfiles',
      service: 'api',
      method: 'GET',
      path: '/bpds/profile/unlock_profiles',
      searchParams: { ids: profileIds.join(',') },
      auth: true,
      idempotent: true,
    });
  }

  async profileStatus(profileId: string): Promise<StatusAnswer> {
    const data = await this.caller.run({
      operation: 'profileStatus',
      service: 'launcher',
      method: 'GET',
      path: `/api/v1/profile/status/p/${encodeURIComponent(profileId)}`,
      auth: true,
      idempotent: true,
    });
    return readStatus(data);
  }

  /** Sign-in and refresh go through the same caller, without a token of their own. */
  private authCalls(): AuthCalls {
    const grant = async (operation: string, path: string, json: unknown): Promise<TokenGrant> => {
      // Not repeated here: the call that needed the token is, so a flaky API is not hit 4×4 times.
      const data = await this.caller.run({
        operation,
        service: 'api',
        method: 'POST',
        path,
        json,
        auth: false,
        idempotent: false,
      });
      const read = readGrant(data);
      if (!read) throw this.badAnswer(operation, 'api', 'POST', path, 'no token in the answer');
      return read;
    };
    return {
      signIn: (email, passwordMd5) => grant('signIn', '/user/signin', { email, password: passwordMd5 }),
      refresh: (email, refreshToken, workspaceId) =>
        grant('refreshToken', '/user/refresh_token', {
          email,
          refresh_token: refreshToken,
          workspace_id: workspaceId,
        }),
    };
  }

  /** A 2xx answer without what the call needs (the data itself is not quoted: it may hold secrets). */
  private badAnswer(
    operation: string,
    service: 'api' | 'launcher',
    method: string,
    path: string,
    why: string,
  ) {
    const ctx: CallContext = {
      operation,
      service,
      method,
      path,
      baseUrl: this.transport.baseUrl(service),
      scrub: (t) => t,
    };
    return badAnswerError(ctx, 200, why);
  }
}

function proxyBody(proxy: ProxyConfig) {
  return {
    type: proxy.type,
    host: proxy.host,
    port: proxy.port,
    username: proxy.username ?? '',
    password: proxy.password ?? '',
  };
}
