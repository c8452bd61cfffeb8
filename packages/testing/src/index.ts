export {
  AppProcess,
  type AppProcessOptions,
  type ProcessEnd,
} from './app-process.js';
export {
  type BenchFigure,
  benchSetting,
  type FigureInput,
  figure,
  percentile,
  reportBench,
} from './bench.js';
export {
  type FaultCounts,
  FaultProxy,
  type FaultProxyOptions,
  startFaultProxy,
} from './fault-proxy.js';
export {
  FIXTURE_COOKIE,
  FIXTURE_INDEX_TITLE,
  type FixtureSite,
  type SiteVisit,
  startFixtureSite,
} from './fixture-site.js';
export {
  type AppStart,
  type FleetApp,
  type FleetHost,
  LOOPBACK,
  ProcessFleet,
  type ProcessFleetOptions,
} from './fleet/process-fleet.js';
export { bearer, TEST_KEYS, type TestKey } from './fleet/test-keys.js';
export { freePort } from './free-port.js';
export { keyFamilies, keyFamily } from './key-families.js';
export { listenOn, listenOnLoopback } from './loopback-server.js';
export { type CollectedSpan, type OtlpCollector, startOtlpCollector } from './otlp-collector.js';
export {
  deletePrefix,
  type TestRedisMode,
  type TestRedisTarget,
  testPrefix,
  testRedisClient,
  testRedisEnv,
  testRedisMode,
  testRedisServers,
  testRedisSettings,
  testRedisTarget,
  testRedisUrl,
} from './prefix.js';
export {
  type GatewaySite,
  type PrivateTarget,
  startGatewaySite,
  startPrivateTarget,
} from './private-target.js';
export { Prng } from './prng.js';
export { browsersLeft, chromiumsUnder, chromiumsUsing, portOpen, processesMatching } from './processes.js';
export {
  RedisCluster,
  type RedisClusterOptions,
  type RedisClusterTarget,
} from './redis-cluster.js';
export {
  type RedisAddress,
  RedisSentinelGroup,
  type RedisSentinelGroupOptions,
  type ReplicatedPair,
  type SentinelTarget,
  startReplicatedPair,
} from './redis-sentinel.js';
export {
  RedisServer,
  RedisServerMissingError,
  type RedisServerOptions,
  redisServerInstalled,
} from './redis-server.js';
export { REPO_ROOT } from './repo-root.js';
export { type ProxiedRequest, startTestProxy, type TestProxy, type TestProxyOptions } from './test-proxy.js';
export { selfSignedTls, type TlsFiles } from './tls-files.js';
export { sleep, type WaitForOptions, waitFor } from './wait.js';
