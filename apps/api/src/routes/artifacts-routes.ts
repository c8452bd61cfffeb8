import { canSee } from '@fleet/auth';
import { artifactIdSchema } from '@fleet/contracts';
import { batchIdOfArtifact } from '@fleet/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notFound, parseOr400 } from '../api-error.js';
import { principalOf } from '../auth.js';
import type { ApiContext } from '../context.js';

const params = z.strictObject({ id: artifactIdSchema });

/**
 * Types a browser shows inline without running anything: images (not SVG, which can hold script)
 * and plain text (with `nosniff` it is never read as HTML).
 */
const INLINE = /^(image\/(png|jpeg|gif|webp)|text\/plain)(;|$)/;

/** The file name part of a header: only characters that need no quoting. */
const fileName = (name: string) => name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100) || 'artifact';

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'text/plain': 'txt',
  'text/html': 'html',
  'application/json': 'json',
};

/**
 * Artifacts (screenshots, failure evidence, uploads), for the owner of their batch (admin: any),
 * served with their stored type. A stored page (HTML) or any other active type is never rendered
 * in the API's origin: everything but images and plain text is an attachment (downloaded), and
 * every answer carries `nosniff` and a CSP `sandbox` (an opaque origin, no script, no requests),
 * so even a browser that displayed it could not reach the API with the viewer's credentials.
 */
export function registerArtifactRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/v1/artifacts/:id', async (request, reply) => {
    const { id } = parseOr400(params, request.params, 'path');
    const artifact = await ctx.artifacts.get(id);
    const batchId = artifact ? batchIdOfArtifact(artifact.itemId) : null;
    const batch = batchId ? await ctx.batches.get(batchId) : null;
    // Unknown, expired, or someone else's: the same 404, so ids of others' artifacts reveal nothing.
    if (!artifact || !batch || !canSee(principalOf(request), batch.owner)) throw notFound('artifact', id);
    const base = artifact.type.split(';')[0]!.trim();
    const name = `${fileName(artifact.name)}.${EXTENSIONS[base] ?? 'bin'}`;
    const disposition = INLINE.test(artifact.type) ? 'inline' : 'attachment';
    return reply
      .header('content-type', artifact.type)
      .header('content-disposition', `${disposition}; filename="${name}"`)
      .header('x-content-type-options', 'nosniff')
      .header(
        'content-security-policy',
        "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
      )
      .header('cache-control', 'private, max-age=3600')
      .send(Buffer.from(artifact.bytes));
  });
}
