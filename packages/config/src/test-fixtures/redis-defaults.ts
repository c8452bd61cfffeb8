import { redisSettingDefaults } from '../redis-settings.js';

/** The Redis settings other than `redisUrl` at their defaults, as `getProperties()` gives them. */
const { redisUrl: _default, ...others } = redisSettingDefaults();
export const REDIS_DEFAULTS = others;

/** The same as `describeConfig` shows them: the passwords masked even when empty. */
export const REDIS_DEFAULTS_DESCRIBED = {
  ...REDIS_DEFAULTS,
  redisSentinelPassword: '[Sensitive]',
  redisPassword: '[Sensitive]',
};
