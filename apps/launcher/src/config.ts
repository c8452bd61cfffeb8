import { durationMs, type Env, type FleetConfig, loadConfig, loadConfigOrExit, port } from '@fleet/config';
import { type TargetSettings, targetSchema } from '@fleet/targets';
import { DEFAULTS, type LauncherOptions } from './launcher.js';

/** Development credentials the launcher accepts when none are configured (documented in README). */
export const DEV_EMAIL = 'dev@fleet.local';
export const DEV_PASSWORD = 'fleet-dev-password';

export interface LauncherSettings extends TargetSettings {
  launcherPort: number;
  launcherHost: string;
  launcherDataDir: string;
  launcherEmail: string;
  launcherPassword: string;
  chromiumPath: string;
  chromedriverPath: string;
  maxBrowsers: number;
  tokenTtlMs: number;
  stopTimeoutMs: number;
  startTimeoutMs: number;
}

const text = (env: string, fallback: string, doc: string, sensitive = false) => ({
  doc,
  format: String,
  default: fallback,
  env,
  sensitive,
});

/** The launcher's own settings; the common ones (LOG_LEVEL, NODE_ENV, ...) come with @fleet/config. */
export const launcherSchema = {
  launcherPort: port({
    env: 'LAUNCHER_PORT',
    default: 45001,
    doc: 'HTTP port of the launcher (cloud and launcher API on one port).',
  }),
  launcherHost: text(
    'LAUNCHER_HOST',
    DEFAULTS.host,
    'Address the API and the WebDriver ports of started browsers listen on; keep it on loopback unless they must be reached from elsewhere (a container: 0.0.0.0).',
  ),
  launcherDataDir: text(
    'LAUNCHER_DATA_DIR',
    './data/launcher',
    'Profiles (Chromium user-data dirs) and launcher state.',
  ),
  launcherEmail: text('LAUNCHER_EMAIL', DEV_EMAIL, 'Email the launcher accepts at sign-in.'),
  launcherPassword: text(
    'LAUNCHER_PASSWORD',
    DEV_PASSWORD,
    'Password the launcher accepts at sign-in (clients send its MD5).',
    true,
  ),
  chromiumPath: text('LAUNCHER_CHROMIUM_PATH', DEFAULTS.chromiumPath, 'The Chromium binary profiles run in.'),
  chromedriverPath: text(
    'LAUNCHER_CHROMEDRIVER_PATH',
    DEFAULTS.chromedriverPath,
    'The chromedriver matching that Chromium.',
  ),
  maxBrowsers: {
    doc: 'Browsers that may run at once; one more start answers MAX_BROWSERS_REACHED.',
    format: 'nat',
    default: DEFAULTS.maxBrowsers,
    env: 'LAUNCHER_MAX_BROWSERS',
  },
  tokenTtlMs: durationMs({
    env: 'LAUNCHER_TOKEN_TTL_MS',
    default: DEFAULTS.tokenTtlMs,
    doc: 'Lifetime of sign-in tokens (Multilogin: 30 minutes).',
  }),
  stopTimeoutMs: durationMs({
    env: 'LAUNCHER_STOP_TIMEOUT_MS',
    default: DEFAULTS.stopTimeoutMs,
    doc: 'Graceful browser close before it is killed.',
  }),
  startTimeoutMs: durationMs({
    env: 'LAUNCHER_START_TIMEOUT_MS',
    default: DEFAULTS.startTimeoutMs,
    doc: 'How long a start waits for Chromium and chromedriver.',
  }),
  // The guarding proxy in front of every browser (request level); the workers check gotos too.
  ...targetSchema,
} satisfies Parameters<typeof loadConfig<LauncherSettings>>[0];

export type LauncherConfig = FleetConfig<LauncherSettings>;

/** Options for `startLauncher` from a loaded config (the logger is added by main). */
export function launcherOptions(config: LauncherConfig): LauncherOptions {
  return {
    port: config.get('launcherPort'),
    host: config.get('launcherHost'),
    dataDir: config.get('launcherDataDir'),
    email: config.get('launcherEmail'),
    password: config.get('launcherPassword'),
    chromiumPath: config.get('chromiumPath'),
    chromedriverPath: config.get('chromedriverPath'),
    maxBrowsers: Math.max(1, config.get('maxBrowsers')),
    tokenTtlMs: config.get('tokenTtlMs'),
    stopTimeoutMs: config.get('stopTimeoutMs'),
    startTimeoutMs: config.get('startTimeoutMs'),
    blockPrivateTargets: config.get('blockPrivateTargets'),
    allowedTargets: config.get('allowedTargets'),
  };
}

export function readLauncherConfig(env?: Env): LauncherConfig {
  return loadConfig<LauncherSettings>(launcherSchema, env === undefined ? {} : { env });
}

export function readLauncherConfigOrExit(): LauncherConfig {
  return loadConfigOrExit<LauncherSettings>(launcherSchema);
}
