import { describeConfig, runUntilSignal } from '@fleet/config';
import { createLogger } from '@fleet/logger';
import { closingTracing, startTracing } from '@fleet/telemetry';
import { DEV_PASSWORD, launcherOptions, readLauncherConfigOrExit } from './config.js';
import { startLauncher } from './launcher.js';

// Composition root: config → logger → launcher; SIGTERM/SIGINT stop every browser, then exit 0
// (runUntilSignal: a second signal exits 1 at once).

const config = readLauncherConfigOrExit();
const logger = createLogger({ name: 'launcher', level: config.get('logLevel') });
logger.info({ config: describeConfig(config) }, 'launcher configuration');
// OpenTelemetry from the standard OTEL_* variables only; off (no-op) when they are unset.
const tracing = startTracing('fleet-launcher');
logger.info({ tracing: tracing.reason }, tracing.enabled ? 'tracing on' : 'tracing off');
if (config.get('launcherPassword') === DEV_PASSWORD) {
  logger.warn('LAUNCHER_PASSWORD is the documented development default: set your own outside development');
}

// Closing stops every browser it started; a browser that will not die is killed within Chromium's
// own timeouts, so 30 s is a hang, not a slow close.
await runUntilSignal(
  async () => closingTracing(await startLauncher({ ...launcherOptions(config), logger }), tracing),
  {
    name: 'launcher',
    logger,
    graceMs: 30_000,
    parentPid: config.get('parentPid'),
  },
);
