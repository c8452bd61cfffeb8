import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { hostname } from 'node:os';
import { ApiKeyRing } from '@fleet/auth';
import type { LoggerPort } from '@fleet/core';
import {
  createRedis,
  describeRedisTarget,
  type FleetRedis,
  Keys,
  RedisBatchStore,
  RedisKeyRevocations,
  redisTargetOf,
  SecretBox,
  waitReady,
} from '@fleet/redis';
import { startWebhooks, WEBHOOK_RETENTION_SEC } from '@fleet/webhooks';
import { Server } from 'socket.io';
import { authMiddleware, principalOf } from './auth-middleware.js';
import { type NotifierSettings, WEBHOOK_DEFAULTS } from './config.js';
import { Fanout } from './fanout.js';
import { healthRoutes } from './health-routes.js';
import { normalizeOrigin, originGuard } from './origin-guard.js';
import { RevocationWatcher } from './revocation-watcher.js';
import { StreamRelay } from './stream-relay.js';
import { registerSubscriptionHandlers } from './subscribe-handler.js';

/** Messages from clients are a few hundred bytes; anything near this is abuse (the socket is closed). */
export const MAX_MESSAGE_BYTES = 16 * 1024;

export interface NotifierDeps {
  keys: ApiKeyRing;
  prefix: string;
  /** Request paths (batch lookups, replays, revocation checks, /ready): a producer-role connection. */
  redis: FleetRedis;
  /** The relay's blocking reads: a worker-role connection of its own. */
  reader: FleetRedis;
  /** Pub/sub for revocations: a worker-role connection of its own. */
  subscriber: FleetRedis;
  corsOrigins: readonly string[];
  revocationCheckMs: number;
  logger: LoggerPort;
}

export interface Notifier {
  readonly httpServer: HttpServer;
  readonly io: Server;
  /** Start the relay and the revocation watcher, then listen. Resolves the port listened on. */
  listen(port: number, host?: string): Promise<number>;
  /** Close every socket (clients reconnect elsewhere), stop reading, close the connections. */
  close(): Promise<void>;
  stats(): Record<string, unknown>;
}

/**
 * Builds a notifier from its parts without listening. It owns the three Redis connections it is
 * given: `close()` closes them.
 */
export function buildNotifier(deps: NotifierDeps): Notifier {
  const { logger } = deps;
  const streamKey = new Keys(deps.prefix).events.stream;
  const origins = deps.corsOrigins.map(normalizeOrigin);
  // The plain routes are the server's request listener *before* Socket.IO attaches: Engine.IO then
  // answers `/socket.io/` itself and passes every other request on to them.
  const httpServer = createServer((req, res) => void routes(req, res));
  const io = new Server(httpServer, {
    serveClient: false,
    maxHttpBufferSize: MAX_MESSAGE_BYTES,
    allowRequest: originGuard(origins),
    ...(origins.length > 0
      ? { cors: { origin: origins.includes('*') ? true : origins, methods: ['GET', 'POST'] } }
      : {}),
  });
  // Engine.IO answers a request on a polling session that is neither GET nor POST with a bare 500:
  // refuse those before it sees them, with its own 400 {code: 3, message: "Bad request"} (CORS
  // preflights are answered before this middleware runs).
  io.engine.use((req: IncomingMessage, _res: ServerResponse, next: (err?: Error) => void) =>
    next(req.method === 'GET' || req.method === 'POST' ? undefined : new Error(`method ${req.method}`)),
  );
  const relay: StreamRelay = new StreamRelay(deps.reader, {
    streamKey,
    deliver: (events) => fanout.deliver(events),
    wants: (batchId) => fanout.wants(batchId),
    logger,
  });
  const fanout = new Fanout(io, () => relay.position);
  const revocations = new RedisKeyRevocations(deps.redis, deps.prefix);
  const watcher = new RevocationWatcher({
    io,
    revocations,
    subscriber: deps.subscriber,
    checkEveryMs: deps.revocationCheckMs,
    logger,
  });
  const batches = new RedisBatchStore(deps.redis, deps.prefix);
  const stats = () => ({
    connections: io.engine.clientsCount,
    ...fanout.stats,
    ...relay.stats,
  });
  const routes = healthRoutes(deps.redis, stats);

  io.use(authMiddleware({ keys: deps.keys, revocations, watcher, logger }));
  io.on('connection', (socket) => {
    const key = principalOf(socket).name;
    logger.debug({ socketId: socket.id, key }, 'socket connected');
    socket.on('disconnect', (reason) => logger.debug({ socketId: socket.id, key, reason }, 'socket left'));
    registerSubscriptionHandlers(socket, { batches, fanout, redis: deps.redis, streamKey, logger });
  });

  let closing: Promise<void> | undefined;
  return {
    httpServer,
    io,
    stats,
    async listen(port, host = '0.0.0.0') {
      await relay.start();
      await watcher.start();
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          resolve();
        });
      });
      const address = httpServer.address();
      return typeof address === 'object' && address ? address.port : port;
    },
    close() {
      closing ??= (async () => {
        // Transport close, not a Socket.IO disconnect: clients reconnect by themselves (to
        // another instance behind the balancer) and replay from their last event id.
        const ioClosed = io.close();
        httpServer.closeIdleConnections();
        const force = setTimeout(() => httpServer.closeAllConnections(), 2000);
        force.unref();
        await ioClosed;
        clearTimeout(force);
        await Promise.all([relay.stop(), watcher.stop()]);
        await deps.redis.quit().catch(() => deps.redis.disconnect());
      })();
      return closing;
    },
  };
}

export interface RunningNotifier {
  port: number;
  io: Server;
  stats(): Record<string, unknown>;
  close(): Promise<void>;
}

/** Builds and starts a notifier from its settings (main.ts, tests and the bench use it). */
export async function startNotifier(
  settings: NotifierSettings,
  logger: LoggerPort,
  options: { host?: string } = {},
): Promise<RunningNotifier> {
  const keys = ApiKeyRing.fromEntries(settings.apiKeys);
  const name = `fleet-notifier:${hostname()}-${process.pid}`;
  const target = redisTargetOf(settings);
  logger.info({ redis: describeRedisTarget(target) }, 'connecting to Redis');
  const connect = (role: 'worker' | 'producer', part: string) => {
    const redis = createRedis(target, { role, name: `${name}:${part}` });
    redis.on('error', (err) => logger.warn({ err, connection: part }, 'redis connection error'));
    return redis;
  };
  const redis = connect('producer', 'commands');
  const reader = connect('worker', 'reader');
  const subscriber = connect('worker', 'pubsub');
  try {
    await waitReady(redis, 30_000);
  } catch (err) {
    for (const r of [redis, reader, subscriber]) r.disconnect();
    throw err;
  }
  const notifier = buildNotifier({
    keys,
    prefix: settings.prefix,
    redis,
    reader,
    subscriber,
    corsOrigins: settings.corsOrigins,
    revocationCheckMs: settings.revocationCheckMs,
    logger,
  });
  let port: number;
  try {
    port = await notifier.listen(settings.notifierPort, options.host);
  } catch (err) {
    await notifier.close();
    throw err;
  }
  // Webhook deliveries: their own connections, so a slow receiver never holds up the relay above.
  const hooks = { ...WEBHOOK_DEFAULTS, ...definedOf(settings) };
  const webhooks = await startWebhooks(
    { redis, reader: connect('worker', 'webhook-reader'), worker: connect('worker', 'webhook-worker') },
    settings.prefix,
    {
      attempts: hooks.webhookAttempts,
      backoffMs: hooks.webhookBackoffMs,
      timeoutMs: hooks.webhookTimeoutMs,
      concurrency: hooks.webhookConcurrency,
      allowedTargets: hooks.webhookAllowedTargets,
      retentionSec: WEBHOOK_RETENTION_SEC,
    },
    { box: SecretBox.fromSetting(settings.secretKey ?? ''), logger, consumer: name },
  );
  logger.info({ port, keys: keys.size, corsOrigins: settings.corsOrigins }, 'notifier started');
  const close = async () => {
    // Deliveries first: they use the command connection the notifier closes.
    await webhooks.close();
    await notifier.close();
  };
  return { port, io: notifier.io, stats: notifier.stats, close };
}

/** The settings that are set (a test's settings may leave webhook fields undefined). */
function definedOf<T extends object>(settings: T): Partial<T> {
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as Partial<T>;
}
