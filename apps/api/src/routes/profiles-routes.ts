import {
  createProfileBodySchema,
  importProfilesBodySchema,
  patchProfileBodySchema,
  profilesQuerySchema,
  quarantineBodySchema,
} from '@fleet/contracts';
import { importProfiles, ProfileNotFoundError, type ProfilePatch } from '@fleet/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ApiError, parseOr400 } from '../api-error.js';
import type { ApiContext } from '../context.js';
import { profileView } from '../views.js';

const idParams = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'a profile id'),
});
const forceQuery = z.strictObject({ force: z.enum(['true', 'false']).optional() });
const admin = { config: { admin: true } };

/** A launcher URL as stored: its origin (the schema allowed only an origin, maybe with a slash). */
const origin = (url: string) => new URL(url).origin;

/** Profiles: admin keys only. */
export function registerProfileRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post('/v1/profiles', admin, async (request, reply) => {
    const body = parseOr400(createProfileBodySchema, request.body, 'body');
    const profile = await ctx.profiles.register({
      id: body.id,
      pool: body.pool,
      ...(body.tags ? { tags: body.tags } : {}),
      providerIds: {
        ...(body.folderId ? { folderId: body.folderId } : {}),
        ...(body.launcher ? { launcher: origin(body.launcher) } : {}),
      },
      proxy: body.proxy ?? null,
    });
    return reply.status(201).send(profileView(profile));
  });

  app.get('/v1/profiles', admin, async (request) => {
    const query = parseOr400(profilesQuerySchema, request.query, 'query');
    const pools = query.pool ? [query.pool] : await ctx.profiles.pools();
    if (query.pool === undefined && query.cursor !== undefined) {
      throw new ApiError('VALIDATION_FAILED', 'a cursor belongs to one pool: give pool= with it', [
        { field: 'pool', message: 'required with cursor' },
      ]);
    }
    if (query.pool && !pools.includes(query.pool)) return { profiles: [], nextCursor: null };
    const profiles = [];
    let nextCursor: string | null = null;
    for (const pool of pools) {
      const page = await ctx.profiles.list(pool, {
        ...(query.state ? { state: query.state } : {}),
        ...(query.cursor ? { cursor: query.cursor } : {}),
        limit: query.limit - profiles.length,
      });
      profiles.push(...page.profiles.map(profileView));
      if (query.pool) nextCursor = page.nextCursor;
      if (profiles.length >= query.limit) break;
    }
    return { profiles, nextCursor };
  });

  app.get('/v1/profiles/:id', admin, async (request) => {
    const { id } = parseOr400(idParams, request.params, 'path');
    const profile = await ctx.profiles.get(id);
    if (!profile) throw new ProfileNotFoundError(id);
    return profileView(profile);
  });

  app.patch('/v1/profiles/:id', admin, async (request) => {
    const { id } = parseOr400(idParams, request.params, 'path');
    const body = parseOr400(patchProfileBodySchema, request.body, 'body');
    const patch: ProfilePatch = {};
    if (body.tags) patch.tags = body.tags;
    if (body.proxy !== undefined) patch.proxy = body.proxy;
    if (body.folderId || body.launcher !== undefined) {
      const current = await ctx.profiles.get(id);
      if (!current) throw new ProfileNotFoundError(id);
      const { launcher: _old, ...ids } = current.providerIds;
      const launcher = body.launcher === undefined ? current.providerIds.launcher : body.launcher;
      patch.providerIds = {
        ...ids,
        ...(body.folderId ? { folderId: body.folderId } : {}),
        ...(launcher ? { launcher: origin(launcher) } : {}),
      };
    }
    return profileView(await ctx.profiles.update(id, patch));
  });

  app.delete('/v1/profiles/:id', admin, async (request, reply) => {
    const { id } = parseOr400(idParams, request.params, 'path');
    const { force } = parseOr400(forceQuery, request.query, 'query');
    await ctx.profiles.unregister(id, { force: force === 'true' });
    return reply.status(204).send();
  });

  app.post('/v1/profiles/:id/quarantine', admin, async (request) => {
    const { id } = parseOr400(idParams, request.params, 'path');
    const body = parseOr400(quarantineBodySchema, request.body ?? {}, 'body');
    return profileView(await ctx.profiles.quarantine(id, body.reason, body.durationMs ?? null));
  });

  app.post('/v1/profiles/:id/release', admin, async (request) => {
    const { id } = parseOr400(idParams, request.params, 'path');
    return profileView(await ctx.profiles.unquarantine(id));
  });

  app.post('/v1/profiles/import', admin, async (request) => {
    const body = parseOr400(importProfilesBodySchema, request.body, 'body');
    if (!ctx.profileSource) {
      throw new ApiError(
        'PROVIDER_NOT_CONFIGURED',
        'no profile provider is configured: set MULTILOGIN_API_URL and credentials for the API',
      );
    }
    // From a launcher host: list its profiles there and record it as their home.
    const launcher = body.launcher ? origin(body.launcher) : undefined;
    const counts = await importProfiles(
      ctx.profiles,
      ctx.profileSource.allProfiles(body.folderId ? { folderId: body.folderId } : {}, launcher),
      {
        pool: body.pool,
        ...(body.tags ? { tags: body.tags } : {}),
        limit: body.limit,
        ...(launcher ? { launcher } : {}),
      },
    );
    return { pool: body.pool, ...counts };
  });
}
