import type { LoggerPort } from '@fleet/core';
import { MultiloginClient } from '@fleet/multilogin';
import type { WorkerSettings } from './config.js';

/** The provider client the worker's settings describe (Multilogin X, or the local launcher). */
export function providerClient(s: WorkerSettings, logger?: LoggerPort): MultiloginClient {
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
