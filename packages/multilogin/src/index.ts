export type {
  CreateProfileInput,
  Folder,
  ProfileSearch,
  ProfileSearchPage,
  ProviderProfile,
  StartedProfile,
  StatusAnswer,
  VersionAnswer,
} from './answers.js';
export { jwtClaims, md5Hex, tokenExpiry } from './auth.js';
export { MAX_PAGE_SIZE, MultiloginClient } from './client.js';
export { AUTH_FAILED } from './errors.js';
export { HomeLauncherProvider, type HomeLauncherProviderOptions } from './home-launcher-provider.js';
export {
  DEFAULT_API_URL,
  DEFAULT_LAUNCHER_URL,
  DEFAULT_RETRY,
  DEFAULT_TIMEOUTS,
  type MultiloginClientOptions,
  type RetryOptions,
  type TimeoutOptions,
} from './options.js';
export {
  MultiloginProfileProvider,
  type MultiloginProfileProviderOptions,
  mapStatus,
  providerProfileId,
} from './profile-provider.js';
export { backoffDelay, parseRetryAfter } from './retry.js';
export {
  clientFromSettings,
  hasCredentials,
  launcherSettings,
  type MultiloginSettings,
  multiloginSchema,
  ProviderClients,
} from './settings.js';
