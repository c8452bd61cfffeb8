import { nodeOptionsOf } from '@fleet/redis';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';

/**
 * `GET /metrics` (Prometheus text format), public like /health: scrapers carry no API key, and
 * nothing in it names a tenant's data (routes are patterns, no batch ids); with fair share on,
 * `fleet_tenant_items` carries API key names (never keys). It is served on
 * the API's own port; keep that port off the internet or filter `/metrics` at the proxy.
 *
 * Queue depths and pool counts are read from Redis at each scrape through the producer connection,
 * which fails fast while Redis is down; a reading that fails or outlasts the connection's command
 * timeout is left out of that scrape and counted (`fleet_metrics_collect_errors_total`).
 */
export function registerMetricsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { metrics, redis } = ctx;
  const whileUp = () => {
    if (redis.status !== 'ready') throw new Error(`Redis connection is ${redis.status}`);
  };
  /** The items queue and every advertised scenario's queue (what both readings add up). */
  const itemQueues = async () => [ctx.queue, ...(await ctx.scenarios.list()).map((s) => ctx.queues.of(s.id))];
  metrics.collectFrom({
    // The items queue and every advertised scenario's queue, added up.
    queueCounts: async (states) => {
      whileUp();
      const queues = await itemQueues();
      const all = await Promise.all(
        queues.map((q) => q.getJobCounts(...(states as Parameters<typeof ctx.queue.getJobCounts>))),
      );
      const sum: Record<string, number> = {};
      for (const counts of all)
        for (const [state, n] of Object.entries(counts)) sum[state] = (sum[state] ?? 0) + n;
      return sum;
    },
    poolCounts: async () => {
      whileUp();
      const pools = await ctx.profiles.pools();
      return Promise.all(pools.map((pool) => ctx.profiles.counts(pool)));
    },
    ...(ctx.fair
      ? {
          tenantCounts: async () => {
            whileUp();
            return ctx.fair!.standings();
          },
        }
      : {}),
    timeoutMs: nodeOptionsOf(redis).commandTimeout ?? 1000,
  });
  const unwatch = metrics.watchRedis(redis, 'main');
  app.addHook('onClose', async () => unwatch());
  // Every answer, whatever route (Bull Board's and the docs' too): Fastify applies root hooks to
  // every route when the app gets ready.
  app.addHook('onResponse', async (request, reply) => {
    metrics.request(request.routeOptions.url, request.method, reply.statusCode);
  });

  app.get('/metrics', { config: { public: true } }, async (_request, reply) => {
    const text = await metrics.text();
    return reply.type(metrics.contentType).send(text);
  });

  // What an autoscaler scales workers on (deploy/k8s: KEDA's metrics-api trigger, `demand`).
  // Public like /metrics (counts only, no tenant's data); a Redis outage answers 503 REDIS_UNAVAILABLE.
  app.get('/metrics/queue', { config: { public: true } }, async () => {
    const queues = await itemQueues();
    const [counts, pools, pending] = await Promise.all([
      Promise.all(queues.map((q) => q.getJobCounts('wait', 'prioritized', 'delayed', 'active'))),
      ctx.profiles.pools().then((names) => Promise.all(names.map((pool) => ctx.profiles.counts(pool)))),
      ctx.fair ? ctx.fair.pendingTotal() : Promise.resolve(0),
    ]);
    return queueDemand(counts, pools, pending);
  });
}

export interface QueueDemand {
  /** Items ready to run (BullMQ's `wait` list). */
  waiting: number;
  /** Items waiting under their API key for the dispatcher (fair share), not yet in BullMQ. */
  pending: number;
  /** Items ready to run, kept in BullMQ's prioritized set (batches with a priority). */
  prioritized: number;
  /** Items due later: retry backoff, or handed back for want of a free profile or slot. */
  delayed: number;
  /** Items running now. */
  active: number;
  /** Profiles that can run an item (every pool's profiles less the quarantined ones). */
  profiles: number;
  /**
   * Worker slots that would be busy: every queued and running item, but never more than the
   * profiles that can run them (workers beyond that would only hand items back). Desired workers
   * = ceil(demand ÷ WORKER_CONCURRENCY): KEDA's `targetValue` is WORKER_CONCURRENCY.
   */
  demand: number;
}

/** The counts of every items queue and every pool, added up into one reading. */
export function queueDemand(
  queues: Array<Record<string, number>>,
  pools: Array<{ registered: number; quarantined: number }>,
  pending = 0,
): QueueDemand {
  const sum = (state: string) => queues.reduce((n, counts) => n + (counts[state] ?? 0), 0);
  const waiting = sum('wait');
  const prioritized = sum('prioritized');
  const delayed = sum('delayed');
  const active = sum('active');
  const profiles = pools.reduce((n, p) => n + Math.max(0, p.registered - p.quarantined), 0);
  const demand = Math.min(pending + waiting + prioritized + delayed + active, profiles);
  return { waiting, pending, prioritized, delayed, active, profiles, demand };
}
