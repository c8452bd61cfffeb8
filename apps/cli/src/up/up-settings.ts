import { join, resolve } from 'node:path';
import { apiSchema } from '@fleet/api/config';
import { ConfigError, type Env, loadConfig, port, secretKeySchema } from '@fleet/config';
import { DEV_EMAIL, DEV_PASSWORD, launcherSchema } from '@fleet/launcher/config';
import { notifierSchema } from '@fleet/notifier/config';
import { workerSchema } from '@fleet/worker/config';

/**
 * What `fleet up` reads from its environment: the apps' own settings (their env names, defaults and
 * checks come from each app's schema, so `fleet up` and an app started by hand agree) plus the two
 * of its own. REDIS_URL, FLEET_PREFIX and LOG_LEVEL come with @fleet/config's common schema.
 */
const upSchema = {
  apiPort: apiSchema.apiPort,
  notifierPort: notifierSchema.notifierPort,
  workerPort: workerSchema.workerPort,
  launcherPort: launcherSchema.launcherPort,
  chromiumPath: launcherSchema.chromiumPath,
  chromedriverPath: launcherSchema.chromedriverPath,
  ...secretKeySchema,
  demoPort: port({ env: 'FLEET_DEMO_PORT', default: 3005, doc: "Port of fleet up's demo shop." }),
  dataDir: {
    doc: "Where fleet up keeps the launcher's profiles, artifacts, logs and the secret key (default <repo>/data).",
    format: String,
    default: '',
    env: 'FLEET_DATA_DIR',
  },
  upFile: {
    doc: 'Where fleet up writes the URLs and the API key for the CLI (default <repo>/.fleet/up.json).',
    format: String,
    default: '',
    env: 'FLEET_UP_FILE',
  },
};

/** The default ports, as the schemas give them (for `fleet up --help`). */
export const DEFAULT_PORTS = {
  API_PORT: upSchema.apiPort.default,
  NOTIFIER_PORT: upSchema.notifierPort.default,
  WORKER_PORT: upSchema.workerPort.default,
  LAUNCHER_PORT: upSchema.launcherPort.default,
  FLEET_DEMO_PORT: upSchema.demoPort.default,
};

export interface UpSettings {
  redisUrl: string;
  prefix: string;
  logLevel: string;
  ports: { api: number; notifier: number; launcher: number; worker: number; demo: number };
  chromiumPath: string;
  chromedriverPath: string;
  secretKey: string;
  dataDir: string;
  upFile: string;
  /** The launcher's development sign-in (its schema's defaults), which the apps use too. */
  credentials: { email: string; password: string };
}

/** Reads fleet up's settings from `env`; throws `ConfigError` listing every bad one. */
export function upSettings(env: Env, repoRoot: string): UpSettings {
  const c = loadConfig(upSchema, { env }).getProperties();
  // The local fleet runs on one Redis (yours, or a throwaway one); Sentinel and Cluster are for
  // deployments, where each app reads its settings itself.
  const mode =
    c.redisSentinels.length > 0
      ? 'REDIS_SENTINELS'
      : c.redisClusterNodes.length > 0
        ? 'REDIS_CLUSTER_NODES'
        : '';
  if (mode) {
    throw new ConfigError([
      {
        key: '',
        env: mode,
        message:
          'fleet up runs on one Redis: unset it (and set REDIS_URL, or leave it for a throwaway redis-server)',
      },
    ]);
  }
  return {
    redisUrl: c.redisUrl,
    prefix: c.prefix,
    logLevel: c.logLevel,
    ports: {
      api: c.apiPort,
      notifier: c.notifierPort,
      worker: c.workerPort,
      launcher: c.launcherPort,
      demo: c.demoPort,
    },
    chromiumPath: c.chromiumPath,
    chromedriverPath: c.chromedriverPath,
    secretKey: c.secretKey,
    dataDir: resolve(c.dataDir || join(repoRoot, 'data')),
    upFile: resolve(c.upFile || join(repoRoot, '.fleet', 'up.json')),
    credentials: { email: DEV_EMAIL, password: DEV_PASSWORD },
  };
}
