import { httpUrl } from '@fleet/config';
import type { LoggerPort } from '@fleet/core';
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

/** Are credentials configured (a token, or email and password)? */
export function hasCredentials(s: MultiloginSettings): boolean {
  return Boolean(s.multiloginAutomationToken || (s.multiloginEmail && s.multiloginPassword));
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
