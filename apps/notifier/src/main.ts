import { loadConfigOrExit, runUntilSignal } from '@fleet/config';
import { createLogger } from '@fleet/logger';
import { type NotifierSettings, notifierSchema } from './config.js';
import { startNotifier } from './notifier.js';

const config = loadConfigOrExit(notifierSchema);
const settings: NotifierSettings = config.getProperties();
const logger = createLogger({ name: 'notifier', level: config.get('logLevel') });

await runUntilSignal(() => startNotifier(settings, logger), {
  name: 'notifier',
  logger,
  graceMs: 10_000,
  parentPid: config.get('parentPid'),
});
