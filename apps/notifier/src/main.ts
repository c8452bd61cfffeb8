import { loadConfigOrExit } from '@fleet/config';
import { createLogger } from '@fleet/logger';
import { type NotifierSettings, notifierSchema } from './config.js';
import { startNotifier } from './notifier.js';

const config = loadConfigOrExit(notifierSchema);
const settings: NotifierSettings = config.getProperties();
const logger = createLogger({ name: 'notifier', level: config.get('logLevel') });

const notifier = await startNotifier(settings, logger).catch((err) => {
  logger.fatal({ err }, 'notifier could not start');
  process.exit(1);
});

let signals = 0;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (++signals > 1) process.exit(1); // a second signal: stop now
    setTimeout(() => {
      logger.error({}, 'shutdown did not finish in time: exiting');
      process.exit(1);
    }, 10_000).unref();
    notifier.close().then(
      () => {
        logger.info({}, 'notifier stopped');
        process.exit(0);
      },
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
