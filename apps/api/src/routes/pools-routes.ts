import { fairQueueName } from '@fleet/queue';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../auth.js';
import type { ApiContext } from '../context.js';

/**
 * Profile pools by state, for any valid key (the dashboard shows them to user keys too): counts
 * only, never a profile id, proxy or lease owner; `waitingFor` lists the code scenarios whose items
 * wait because no live worker has them. Admin keys also get `providersDown`: the launcher hosts (or
 * agents) workers cannot reach now, whose profiles rest meanwhile, and the sites with a politeness
 * rule. With fair share, `tenants`: each key's items waiting and running (README "Sharing a fleet").
 */
export function registerPoolRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/v1/pools', async (request) => {
    const names = await ctx.profiles.pools();
    // One script per pool: each pool's counts are taken atomically, so its parts add up.
    const pools = await Promise.all(names.map((pool) => ctx.profiles.counts(pool)));
    const waitingFor = await scenariosWithoutWorkers(ctx);
    const principal = principalOf(request);
    // Fair share: every key's standing for an admin, its own for a user key.
    const standings = ctx.fair ? await ctx.fair.standings() : null;
    const tenants = standings?.filter((t) => principal.role === 'admin' || t.tenant === principal.name);
    const shared = { ...(waitingFor.length > 0 ? { waitingFor } : {}), ...(tenants ? { tenants } : {}) };
    if (principal.role !== 'admin') return { pools, ...shared };
    const down = await ctx.providerHealth.down();
    return {
      pools,
      ...shared,
      sites: await ctx.sites.rules(),
      providersDown: down.map((d) => ({
        provider: d.provider,
        since: new Date(d.since).toISOString(),
        lastSeenAt: new Date(d.lastSeenAt).toISOString(),
        error: d.error,
      })),
    };
  });
}

/**
 * Items that wait because no live worker has their code scenario: per scenario, its queued items
 * (waiting, prioritised or delayed in its queue). Empty when every waiting scenario has a worker.
 */
async function scenariosWithoutWorkers(
  ctx: ApiContext,
): Promise<Array<{ scenario: string; workers: number; queued: number }>> {
  const idle = (await ctx.scenarios.list()).filter((s) => s.workers === 0);
  const counted = await Promise.all(
    idle.map(async (s) => {
      const queue = ctx.queues.of(s.id);
      const counts = await queue.getJobCounts('wait', 'prioritized', 'delayed');
      // With fair share, most of them wait under their key, not yet in the queue.
      const pending = ctx.fair ? await ctx.fair.pendingIn(fairQueueName(queue.name)) : 0;
      return {
        scenario: s.id,
        workers: 0,
        queued: pending + Object.values(counts).reduce((a, b) => a + b, 0),
      };
    }),
  );
  return counted.filter((c) => c.queued > 0);
}
