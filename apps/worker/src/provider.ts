import type { LoggerPort } from '@fleet/core';
import { clientFromSettings, type MultiloginClient } from '@fleet/multilogin';
import type { WorkerSettings } from './config.js';

/** The provider client the worker's settings describe (Multilogin X, or the local launcher). */
export function providerClient(s: WorkerSettings, logger?: LoggerPort): MultiloginClient {
  return clientFromSettings(s, logger);
}
