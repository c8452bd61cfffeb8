/** The Redis settings other than `redisUrl` at their defaults, as `getProperties()` gives them. */
export const REDIS_DEFAULTS = {
  redisSentinels: [],
  redisSentinelName: '',
  redisSentinelPassword: '',
  redisClusterNodes: [],
  redisUsername: '',
  redisPassword: '',
  redisTls: false,
  redisTlsCa: '',
  redisWaitReplicas: 1,
  redisWaitTimeoutMs: 500,
};

/** The same as `describeConfig` shows them: the passwords masked even when empty. */
export const REDIS_DEFAULTS_DESCRIBED = {
  ...REDIS_DEFAULTS,
  redisSentinelPassword: '[Sensitive]',
  redisPassword: '[Sensitive]',
};
