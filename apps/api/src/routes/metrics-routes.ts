import { nodeOptionsOf } from '@fleet/redis';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';

/**
 * `GET /metrics` (Prometheus text format), public like /health: scrapers carry no API key, and
 * nothing in it names a tenant (routes are patterns, no batch ids or key names). It is served on
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
  metrics.collectFrom({
    // The items queue and every advertised scenario's queue, added up.
    queueCounts: async (states) => {
      whileUp();
      const queues = [ctx.queue, ...(await ctx.scenarios.list()).map((s) => ctx.queues.of(s.id))];
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
}
