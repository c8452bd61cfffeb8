export {
  type CommonConfig,
  commonSchema,
  eventStreamSchema,
  LOG_LEVELS,
  type LogLevel,
  NODE_ENVS,
  type NodeEnv,
  secretKeySchema,
} from './common-schema.js';
export { ConfigError, type ConfigProblem } from './config-error.js';
export { describeConfig, maskUrlCredentials, SENSITIVE_MARK } from './describe-config.js';
export {
  csvList,
  durationMs,
  FORMAT,
  flag,
  httpUrl,
  type ItemCheck,
  jsonList,
  percent,
  port,
  type SettingOptions,
} from './formats.js';
export {
  type Env,
  type FleetConfig,
  type LoadConfigOptions,
  loadConfig,
  loadConfigOrExit,
} from './load-config.js';
export {
  DEFAULT_REDIS_URL,
  parseRedisNode,
  type RedisNode,
  type RedisSettingProblem,
  type RedisSettings,
  type ReplicaWaitSettings,
  redisModeProblems,
  redisSettingDefaults,
  safeUrl,
} from './redis-settings.js';
export {
  type Closable,
  type RunUntilSignalOptions,
  runUntilSignal,
} from './run-until-signal.js';
export { settingsEnv } from './settings-env.js';
