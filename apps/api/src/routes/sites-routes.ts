import { perSiteSchema } from '@fleet/contracts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ApiError, parseOr400 } from '../api-error.js';
import type { ApiContext } from '../context.js';

const admin = { config: { admin: true } };

/** A host as a site rule names it: a DNS name or IPv4 address, lower case, with a port or not. */
export const siteHostSchema = z
  .string()
  .max(260)
  .regex(
    /^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)*(:\d{1,5})?$/,
    'a host name in lower case, with its port when not the default (shop.example.com, 127.0.0.1:8080)',
  );
const hostParams = z.strictObject({ host: siteHostSchema });

/**
 * Politeness per site set by an admin, for every batch (README "Sharing a fleet"): the workers
 * read the rules (within 5 s) and combine each with a batch's own `perSite`, the stricter winning.
 */
export function registerSiteRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/v1/admin/sites', admin, async () => ({ sites: await ctx.sites.rules() }));

  app.put('/v1/admin/sites/:host', admin, async (request) => {
    const { host } = parseOr400(hostParams, request.params, 'path');
    const rule = parseOr400(perSiteSchema, request.body, 'body');
    await ctx.sites.setRule(host, rule);
    const [running, waiting] = await Promise.all([ctx.sites.running(host), ctx.sites.waiting(host)]);
    return { host, rule, running, waiting };
  });

  app.delete('/v1/admin/sites/:host', admin, async (request) => {
    const { host } = parseOr400(hostParams, request.params, 'path');
    if (!(await ctx.sites.deleteRule(host))) {
      throw new ApiError('SITE_RULE_NOT_FOUND', `no rule is set for site "${host}"`);
    }
    return { host, deleted: true };
  });
}
