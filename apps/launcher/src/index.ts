export { chromiumArgs } from './browser-process.js';
export { DEV_EMAIL, DEV_PASSWORD, type LauncherSettings, launcherOptions, launcherSchema } from './config.js';
export { type Envelope, ERROR_CODES, type ErrorCode } from './envelope.js';
export {
  buildLauncherServer,
  DEFAULTS,
  type LauncherOptions,
  type RunningLauncher,
  startLauncher,
} from './launcher.js';
export { LAUNCHER_VERSION } from './version.js';
