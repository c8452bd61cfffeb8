export { type BenchFigure, type FigureInput, figure, percentile, reportBench } from './bench.js';
export { deletePrefix, testPrefix, testRedisClient, testRedisUrl } from './prefix.js';
export {
  freePort,
  RedisServer,
  RedisServerMissingError,
  type RedisServerOptions,
  redisServerInstalled,
} from './redis-server.js';
