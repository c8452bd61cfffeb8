import { loadConfigOrExit } from '@fleet/config';
import { createLogger } from '@fleet/logger';
import { type WorkerSettings, workerSchema } from './config.js';
import { startWorker } from './worker.js';

const config = loadConfigOrExit(workerSchema);
const settings: WorkerSettings = config.getProperties();
const logger = createLogger({ name: 'worker', level: config.get('logLevel') });

const worker = await startWorker(settings, logger).catch((err) => {
  logger.fatal({ err }, 'worker could not start');
  process.exit(1);
});

let signals = 0;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (++signals > 1) process.exit(1); // a second signal: stop now
    // Shutdown needs Redis (to release leases); if it is gone, do not hang forever.
    const margin = config.get('shutdownGraceMs') + 15_000;
    setTimeout(() => {
      logger.error({ ms: margin }, 'shutdown did not finish in time: exiting');
      process.exit(1);
    }, margin).unref();
    worker.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
