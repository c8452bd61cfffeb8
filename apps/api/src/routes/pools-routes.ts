import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';

/**
 * Profile pools by state, for any valid key (the dashboard shows them to user keys too): counts
 * only, never a profile id, proxy or lease owner.
 */
export function registerPoolRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/v1/pools', async () => {
    const names = await ctx.profiles.pools();
    // One script per pool: each pool's counts are taken atomically, so its parts add up.
    const pools = await Promise.all(names.map((pool) => ctx.profiles.counts(pool)));
    return { pools };
  });
}
