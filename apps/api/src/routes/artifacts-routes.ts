import { canSee } from '@fleet/auth';
import { parseItemId } from '@fleet/contracts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notFound, parseOr400 } from '../api-error.js';
import { principalOf } from '../auth.js';
import type { ApiContext } from '../context.js';

const params = z.strictObject({ id: z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'an artifact id') });

/** Screenshots, for the owner of the batch that took them (admin: any). */
export function registerArtifactRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/v1/artifacts/:id', async (request, reply) => {
    const { id } = parseOr400(params, request.params, 'path');
    const artifact = await ctx.artifacts.get(id);
    const item = artifact ? parseItemId(artifact.itemId) : null;
    const batch = item ? await ctx.batches.get(item.batchId) : null;
    // Unknown, expired, or someone else's: the same 404, so ids of others' artifacts reveal nothing.
    if (!artifact || !batch || !canSee(principalOf(request), batch.owner)) throw notFound('artifact', id);
    return reply
      .header('content-type', 'image/png')
      .header('cache-control', 'private, max-age=3600')
      .header('content-disposition', `inline; filename="${artifact.name}.png"`)
      .send(Buffer.from(artifact.png));
  });
}
