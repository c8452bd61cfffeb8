import rateLimit from '@fastify/rate-limit';
import type { ApiKeyRing } from '@fleet/auth';
import { type ArtifactStore, BatchService } from '@fleet/core';
import { ApiMetrics } from '@fleet/metrics';
import { BullItemQueue, FairItemQueue, ItemQueues, type ItemsQueue } from '@fleet/queue';
import {
  BatchItemsReader,
  eventStreamOptions,
  type FleetRedis,
  RedisBatchStore,
  RedisCancelBus,
  RedisEventStream,
  RedisEvidencePolicy,
  RedisFairShare,
  RedisIdempotencyStore,
  RedisKeyRevocations,
  RedisProfileStore,
  RedisProviderHealth,
  RedisScenarioRegistry,
  RedisSiteLimits,
  ReplicaWait,
  type ReplicaWaitOptions,
  type SecretBox,
  subscriberOf,
} from '@fleet/redis';
import { TargetPolicy } from '@fleet/targets';
import { RedisWebhookStore, WEBHOOK_RETENTION_SEC } from '@fleet/webhooks';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { registerBullBoard } from './admin/bull-board-plugin.js';
import {
  ApiError,
  answerClientError,
  installErrorHandling,
  MAX_BODY_DEPTH,
  nestsDeeperThan,
  redisUnavailable,
  sendFrameworkError,
} from './api-error.js';
import { installAuth } from './auth.js';
import type { ApiContext, ApiContextSettings, ProfileSource } from './context.js';
import { registerDashboard } from './dashboard/dashboard-plugin.js';
import { registerDocs } from './docs/docs-plugin.js';
import { RevocationCache } from './revocation-cache.js';
import { registerArtifactRoutes } from './routes/artifacts-routes.js';
import { registerBatchRoutes } from './routes/batches-routes.js';
import { registerHealthRoutes } from './routes/health-routes.js';
import { registerKeyRoutes } from './routes/keys-routes.js';
import { registerMetricsRoutes } from './routes/metrics-routes.js';
import { registerPoolRoutes } from './routes/pools-routes.js';
import { registerPriorityRoute } from './routes/priority-route.js';
import { registerProfileRoutes } from './routes/profiles-routes.js';
import { registerScenarioRoutes } from './routes/scenarios-routes.js';
import { registerScheduleRoutes } from './routes/schedules-routes.js';
import { registerSiteRoutes } from './routes/sites-routes.js';
import { registerWebhookRoutes } from './routes/webhooks-routes.js';
import { ScenarioInputs } from './scenario-inputs.js';
import { Schedules } from './schedules/schedule-runner.js';

export interface ApiDeps {
  settings: ApiContextSettings & { resultRetentionSec: number; eventsMaxLen?: number };
  /** A producer connection (fail fast: no offline queue, short command timeout). */
  redis: FleetRedis;
  /** Another connection for pub/sub (cancel announcements); a subscriber cannot run commands. */
  queue: ItemsQueue;
  keys: ApiKeyRing;
  artifacts: ArtifactStore;
  profileSource?: ProfileSource | null;
  /** Fastify's logger option (a pino instance, or false in tests). */
  logger?: FastifyServerOptions['loggerInstance'] | false;
  /** Seals proxy passwords at rest (FLEET_SECRET_KEY); null stores them as given. */
  secretBox?: SecretBox | null;
  /** WEBHOOK_ALLOWED_TARGETS: private webhook targets let through (none by default). */
  webhookAllowedTargets?: readonly string[];
  /** How often the revoked-key list is re-read (ms). */
  revocationRefreshMs?: number;
  /** How often the dashboard page re-reads batches and pools besides live events (ms; default 5000). */
  dashboardRefreshMs?: number;
  /** Take schedule runs in this process (default: SCHEDULES_RUN). */
  runSchedules?: boolean;
  /** Behind Sentinel: replicas that must have a new batch before it is answered 202 (DESIGN.md "Redis failover"). */
  replicaWait?: ReplicaWaitOptions;
}

/** The API without listening: tests inject requests, `main.ts` listens. */
export async function buildServer(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: deps.settings.bodyLimitBytes,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // What never reaches the error handler gets the one error shape too: the router's refusals
    // (bad %-encoding, an overlong path parameter) and Node's (malformed HTTP, huge headers).
    frameworkErrors: sendFrameworkError,
    clientErrorHandler: answerClientError,
  });
  // JSON only: a text/plain body is refused with 415 instead of reaching a route as a string.
  app.removeContentTypeParser('text/plain');

  const { redis, settings } = deps;
  const box = deps.secretBox ?? null;
  const batches = new RedisBatchStore(
    redis,
    settings.prefix,
    { retentionSec: settings.resultRetentionSec },
    box,
  );
  const events = new RedisEventStream(redis, settings.prefix, eventStreamOptions(settings));
  const queues = new ItemQueues(deps.queue);
  const fair = settings.fairShare ? new RedisFairShare(redis, settings.prefix) : null;
  // Fair share: items wait under their key until a worker's dispatcher hands them to BullMQ.
  const itemQueue = fair
    ? new FairItemQueue(queues, fair, (tenant) => deps.keys.shareOf(tenant))
    : new BullItemQueue(queues);
  const ctx: ApiContext = {
    settings,
    redis,
    keys: deps.keys,
    queue: deps.queue,
    queues,
    scenarios: new RedisScenarioRegistry(redis, settings.prefix),
    scenarioInputs: new ScenarioInputs(),
    batches,
    items: new BatchItemsReader(redis, settings.prefix),
    profiles: new RedisProfileStore(redis, settings.prefix, box),
    idempotency: new RedisIdempotencyStore(redis, settings.prefix),
    providerHealth: new RedisProviderHealth(redis, settings.prefix),
    artifacts: deps.artifacts,
    // Only read here (perError matters to the workers' take, not to the summary).
    errors: new RedisEvidencePolicy(redis, settings.prefix, {
      perError: 0,
      retentionSec: settings.resultRetentionSec,
    }),
    metrics: new ApiMetrics(),
    profileSource: deps.profileSource ?? null,
    webhooks: new RedisWebhookStore(redis, settings.prefix, { retentionSec: WEBHOOK_RETENTION_SEC }, box),
    webhookTargets: new TargetPolicy({ allowed: deps.webhookAllowedTargets ?? [] }),
    sites: new RedisSiteLimits(redis, settings.prefix),
    replicaWait: deps.replicaWait ? new ReplicaWait(redis, deps.replicaWait) : null,
    fair,
    service: new BatchService(batches, itemQueue, {
      bus: new RedisCancelBus(redis, settings.prefix),
      events,
    }),
  };

  installErrorHandling(app, redis);
  // Its own connection for pub/sub (a subscribed connection takes no other commands).
  const subscriber = subscriberOf(redis);
  subscriber.on('error', () => {}); // the main connection reports Redis trouble
  const revocations = new RevocationCache(
    new RedisKeyRevocations(redis, settings.prefix),
    deps.revocationRefreshMs ?? 10_000,
    subscriber,
  );
  await revocations.start();
  app.addHook('onClose', async () => revocations.stop());
  app.addHook('onClose', async () => queues.close());
  installAuth(app, { keys: deps.keys, isRevoked: revocations.isRevoked });
  if (settings.rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      global: true,
      max: settings.rateLimitPerMinute,
      timeWindow: 60_000,
      // After authentication, so the limit is per API key (and per address for anonymous requests).
      hook: 'preHandler',
      keyGenerator: (request) => (request.principal ? `key:${request.principal.name}` : `ip:${request.ip}`),
      allowList: (request) => request.routeOptions.config.public === true,
      errorResponseBuilder: (_request, context) =>
        new ApiError(
          'RATE_LIMITED',
          `too many requests: at most ${context.max} per minute; retry in ${context.after}`,
        ),
    });
  }
  // Deeply nested JSON is refused before any handler walks it (Bull Board's job data would go to
  // JSON.stringify, which overflows the stack at ~10,000 levels: a 500).
  app.addHook('preValidation', async (request) => {
    if (request.body !== undefined && nestsDeeperThan(request.body, MAX_BODY_DEPTH)) {
      throw new ApiError('INVALID_JSON', `the body nests deeper than ${MAX_BODY_DEPTH} levels`);
    }
  });
  // Refuse at once while Redis is down instead of waiting on a command.
  app.addHook('preHandler', async (request) => {
    if (request.routeOptions.config.public) return;
    if (redis.status !== 'ready') {
      throw redisUnavailable();
    }
  });

  // After the hooks above (encapsulated plugins copy them when registered), before the routes
  // (the docs collect every route registered after them).
  await registerDocs(app);
  await registerBullBoard(app, ctx);
  registerHealthRoutes(app, ctx);
  registerMetricsRoutes(app, ctx);
  registerBatchRoutes(app, ctx);
  registerProfileRoutes(app, ctx);
  registerPoolRoutes(app, ctx);
  registerScenarioRoutes(app, ctx);
  registerArtifactRoutes(app, ctx);
  registerKeyRoutes(app, ctx, revocations);
  registerWebhookRoutes(app, ctx);
  registerSiteRoutes(app, ctx);
  registerPriorityRoute(app, ctx);
  const schedules = new Schedules(redis, settings.prefix);
  app.addHook('onClose', async () => schedules.close());
  registerScheduleRoutes(app, ctx, schedules);
  // Runs are submitted as the schedule's owner, while its key is configured and not revoked.
  schedules.attach(
    ctx,
    (owner) => {
      const principal = deps.keys.principals().find((p) => p.name === owner);
      return principal && !revocations.isRevoked(owner) ? principal : null;
    },
    app.log,
  );
  if (deps.runSchedules ?? settings.schedulesRun ?? false) schedules.startWorker();
  app.decorate('schedules', schedules);
  registerDashboard(app, ctx, { refreshMs: deps.dashboardRefreshMs });
  return app;
}
