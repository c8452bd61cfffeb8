import { httpUrl } from '@fleet/config';
import type { LoggerPort } from '@fleet/core';
import type { ProviderProfile } from './answers.js';
import { MultiloginClient } from './client.js';

/** The provider settings every app that talks to Multilogin (or the launcher) shares. */
export const multiloginSchema = {
  multiloginApiUrl: httpUrl({
    env: 'MULTILOGIN_API_URL',
    default: 'https://api.multilogin.com',
    doc: 'Multilogin cloud API; point it at the launcher for local profiles.',
  }),
  multiloginLauncherUrl: httpUrl({
    env: 'MULTILOGIN_LAUNCHER_URL',
    default: 'https://launcher.mlx.yt:45001',
    doc: 'Multilogin launcher; point it at the launcher for local profiles.',
  }),
  multiloginEmail: { doc: 'Provider account email.', format: String, default: '', env: 'MULTILOGIN_EMAIL' },
  multiloginPassword: {
    doc: 'Provider account password (only its MD5 is sent).',
    format: String,
    default: '',
    env: 'MULTILOGIN_PASSWORD',
    sensitive: true,
  },
  multiloginAutomationToken: {
    doc: 'Provider automation token (instead of email/password).',
    format: String,
    default: '',
    env: 'MULTILOGIN_AUTOMATION_TOKEN',
    sensitive: true,
  },
  multiloginTlsVerify: {
    doc: 'Verify the provider TLS certificates.',
    format: Boolean,
    default: true,
    env: 'MULTILOGIN_TLS_VERIFY',
  },
};

export interface MultiloginSettings {
  multiloginApiUrl: string;
  multiloginLauncherUrl: string;
  multiloginEmail: string;
  multiloginPassword: string;
  multiloginAutomationToken: string;
  multiloginTlsVerify: boolean;
}

/** Settings for a Fleet launcher at `url` (its cloud and its agent) signed in with email and password. */
export function launcherSettings(url: string, email: string, password: string): MultiloginSettings {
  return {
    multiloginApiUrl: url,
    multiloginLauncherUrl: url,
    multiloginEmail: email,
    multiloginPassword: password,
    multiloginAutomationToken: '',
    multiloginTlsVerify: true,
  };
}

/** Are credentials configured (a token, or email and password)? */
export function hasCredentials(s: MultiloginSettings): boolean {
  return Boolean(s.multiloginAutomationToken || (s.multiloginEmail && s.multiloginPassword));
}

/**
 * Clients by launcher: the settings' own (no launcher given), or one per Fleet launcher host, which
 * is both the cloud and the agent of the profiles it holds (same sign-in as the settings'). Each
 * keeps its token, so one per launcher is made and kept.
 */
export class ProviderClients {
  private readonly byLauncher = new Map<string, MultiloginClient>();
  readonly own: MultiloginClient;

  constructor(
    private readonly settings: MultiloginSettings,
    private readonly logger?: LoggerPort,
  ) {
    this.own = clientFromSettings(settings, logger);
  }

  at(launcher?: string): MultiloginClient {
    if (!launcher) return this.own;
    let client = this.byLauncher.get(launcher);
    if (!client) {
      const settings = { ...this.settings, multiloginApiUrl: launcher, multiloginLauncherUrl: launcher };
      client = clientFromSettings(settings, this.logger);
      this.byLauncher.set(launcher, client);
    }
    return client;
  }

  /** The profiles a provider lists (`POST /v1/profiles/import`): the own one's, or a launcher's. */
  allProfiles(search: { folderId?: string }, launcher?: string): AsyncIterable<ProviderProfile> {
    return this.at(launcher).allProfiles(search);
  }
}

/** The client the settings describe (Multilogin X, or the local launcher). */
export function clientFromSettings(s: MultiloginSettings, logger?: LoggerPort): MultiloginClient {
  return new MultiloginClient({
    apiUrl: s.multiloginApiUrl,
    launcherUrl: s.multiloginLauncherUrl,
    ...(s.multiloginEmail ? { email: s.multiloginEmail } : {}),
    ...(s.multiloginPassword ? { password: s.multiloginPassword } : {}),
    ...(s.multiloginAutomationToken ? { automationToken: s.multiloginAutomationToken } : {}),
    tlsVerify: s.multiloginTlsVerify,
    ...(logger ? { logger } : {}),
  });
}
