import { describeConfig } from '@fleet/config';
import { createLogger } from '@fleet/logger';
import { DEV_PASSWORD, launcherOptions, readLauncherConfigOrExit } from './config.js';
import { startLauncher } from './launcher.js';

// Composition root: config → logger → launcher; SIGTERM/SIGINT stop every browser, then exit 0.

const config = readLauncherConfigOrExit();
const logger = createLogger({ name: 'launcher', level: config.get('logLevel') });
logger.info({ config: describeConfig(config) }, 'launcher configuration');
if (config.get('launcherPassword') === DEV_PASSWORD) {
  logger.warn('LAUNCHER_PASSWORD is the documented development default: set your own outside development');
}

const launcher = await startLauncher({ ...launcherOptions(config), logger });

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping: closing every browser');
  try {
    await launcher.close();
    logger.info('stopped');
    process.exit(0);
  } catch (error) {
    logger.error({ err: error }, 'shutdown failed');
    process.exit(1);
  }
}
process.on('SIGTERM', (signal) => void shutdown(signal));
process.on('SIGINT', (signal) => void shutdown(signal));
