import type { FastifyInstance } from 'fastify';
import { redisUnavailable, sendError } from '../api-error.js';
import type { ApiContext } from '../context.js';

const open = { config: { public: true } };

export function registerHealthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  /** The process is alive. */
  app.get('/health', open, async () => ({ status: 'ok' }));

  /** Redis answers (within the producer connection's command timeout). */
  app.get('/ready', open, async (_request, reply) => {
    try {
      if (ctx.redis.status !== 'ready') return sendError(reply, redisUnavailable());
      await ctx.redis.ping();
      return { status: 'ready' };
    } catch {
      return sendError(reply, redisUnavailable());
    }
  });
}
