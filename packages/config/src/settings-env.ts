import type convict from 'convict';
import { type CommonConfig, commonSchema } from './common-schema.js';
import { FORMAT } from './formats.js';
import { DEFAULT_REDIS_URL } from './redis-settings.js';

/**
 * The environment that makes `loadConfig(parts)` read back `values`: each setting's env name with
 * its value as text (`csvList` settings comma-separated, other lists and objects as JSON). What a test
 * or a launcher script hands a child process so it runs with the same settings as one built
 * in-process, without spelling every env name again.
 */
export function settingsEnv<T extends object>(
  parts: convict.Schema<T>,
  values: Partial<CommonConfig & T>,
): Record<string, string> {
  const schema = { ...commonSchema, ...parts } as Record<string, { env?: string; format?: unknown }>;
  const env: Record<string, string> = {};
  // REDIS_URL left at its default beside Sentinel or Cluster nodes is "not set": written out, the
  // child's loadConfig would see two Redis modes and refuse to start.
  const otherMode = (values.redisSentinels?.length ?? 0) > 0 || (values.redisClusterNodes?.length ?? 0) > 0;
  for (const [key, value] of Object.entries(values)) {
    if (key === 'redisUrl' && otherMode && value === DEFAULT_REDIS_URL) continue;
    const field = schema[key];
    if (!field?.env || value === undefined || value === null) continue;
    env[field.env] =
      field.format === FORMAT.csv && Array.isArray(value)
        ? value.join(',')
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
  }
  return env;
}
