import type { FastifyInstance } from 'fastify';
import { principalOf } from '../auth.js';
import type { ApiContext } from '../context.js';

/**
 * Profile pools by state, for any valid key (the dashboard shows them to user keys too): counts
 * only, never a profile id, proxy or lease owner. Admin keys also get `providersDown`: the
 * launcher hosts (or agents) workers cannot reach now, whose profiles rest meanwhile.
 */
export function registerPoolRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/v1/pools', async (request) => {
    const names = await ctx.profiles.pools();
    // One script per pool: each pool's counts are taken atomically, so its parts add up.
    const pools = await Promise.all(names.map((pool) => ctx.profiles.counts(pool)));
    if (principalOf(request).role !== 'admin') return { pools };
    const down = await ctx.providerHealth.down();
    return {
      pools,
      providersDown: down.map((d) => ({
        provider: d.provider,
        since: new Date(d.since).toISOString(),
        lastSeenAt: new Date(d.lastSeenAt).toISOString(),
        error: d.error,
      })),
    };
  });
}
