import { loadConfigOrExit, runUntilSignal } from '@fleet/config';
import { createLogger } from '@fleet/logger';
import { type WorkerSettings, workerSchema } from './config.js';
import { startWorker } from './worker.js';

const config = loadConfigOrExit(workerSchema);
const settings: WorkerSettings = config.getProperties();
const logger = createLogger({ name: 'worker', level: config.get('logLevel') });

// Shutdown drains the item in hand for SHUTDOWN_GRACE_MS, then needs Redis to release leases:
// the margin keeps a worker whose Redis is gone from hanging forever.
await runUntilSignal(() => startWorker(settings, logger), {
  name: 'worker',
  logger,
  graceMs: config.get('shutdownGraceMs') + 15_000,
});
