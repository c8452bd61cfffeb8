import { canSee } from '@fleet/auth';
import { type BatchWebhook, batchIdSchema, createWebhookBodySchema } from '@fleet/contracts';
import { effectivePort, urlForMessage } from '@fleet/targets';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ApiError, notFound, parseOr400 } from '../api-error.js';
import { principalOf } from '../auth.js';
import type { ApiContext } from '../context.js';

const admin = { config: { admin: true } };
const keyParams = z.strictObject({ key: createWebhookBodySchema.shape.key });
const idParams = z.strictObject({ id: z.string().regex(/^wh_[A-Za-z0-9_-]{1,40}$/, 'a webhook id (wh_…)') });
const batchParams = z.strictObject({ id: batchIdSchema });

/**
 * A webhook URL the SSRF guard refuses (WEBHOOK_ALLOWED_TARGETS): 400 TARGET_BLOCKED, the code a
 * browser's refused `goto` has. A name that does not resolve now is let through: deliveries judge
 * it again and it may resolve by then.
 */
export async function checkWebhookTarget(ctx: ApiContext, url: string, field: string): Promise<void> {
  const parsed = new URL(url);
  const verdict = await ctx.webhookTargets.verdict(parsed.hostname, effectivePort(parsed));
  if (verdict.kind !== 'blocked') return;
  throw new ApiError(
    'TARGET_BLOCKED',
    `${urlForMessage(parsed)} is refused: ${verdict.reason} (WEBHOOK_ALLOWED_TARGETS can let it through)`,
    [{ field, message: 'a private address' }],
  );
}

/** A batch's own webhook, checked before the batch is written (POST /v1/batches). */
export async function checkBatchWebhook(
  ctx: ApiContext,
  owner: string,
  webhook: BatchWebhook,
): Promise<void> {
  await checkWebhookTarget(ctx, webhook.url, 'webhook.url');
  if (!(await ctx.webhooks.hasSecret(owner))) {
    throw new ApiError(
      'WEBHOOK_SECRET_MISSING',
      `API key "${owner}" has no webhook signing secret: an admin creates it with POST /v1/admin/webhook-secrets/${owner}`,
    );
  }
}

/**
 * Webhooks (README "Webhooks"): admins register per-key webhooks and create signing secrets
 * (shown once, in that answer only); a batch's owner reads its deliveries.
 */
export function registerWebhookRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const knownKey = (key: string) => {
    if (!ctx.keys.principals().some((p) => p.name === key)) {
      throw new ApiError('KEY_NOT_FOUND', `no API key is named "${key}"`, [
        { field: 'key', message: 'no such key' },
      ]);
    }
  };

  app.post('/v1/admin/webhooks', admin, async (request, reply) => {
    const body = parseOr400(createWebhookBodySchema, request.body, 'body');
    knownKey(body.key);
    await checkWebhookTarget(ctx, body.url, 'url');
    const webhook = await ctx.webhooks.register(body.key, body.url, body.events);
    const secret = await ctx.webhooks.ensureSecret(body.key);
    // The secret is in this answer only when this call created it.
    return reply.status(201).send({ webhook, ...(secret ? { secret } : {}) });
  });

  app.get('/v1/admin/webhooks', admin, async () => ({ webhooks: await ctx.webhooks.list() }));

  app.delete('/v1/admin/webhooks/:id', admin, async (request) => {
    const { id } = parseOr400(idParams, request.params, 'path');
    if (!(await ctx.webhooks.remove(id)))
      throw new ApiError('WEBHOOK_NOT_FOUND', `no webhook has id "${id}"`);
    return { id, deleted: true };
  });

  app.post('/v1/admin/webhook-secrets/:key', admin, async (request, reply) => {
    const { key } = parseOr400(keyParams, request.params, 'path');
    knownKey(key);
    const secret = await ctx.webhooks.rotateSecret(key);
    return reply.status(201).send({ key, secret });
  });

  app.get('/v1/batches/:id/webhooks', async (request) => {
    const { id } = parseOr400(batchParams, request.params, 'path');
    const batch = await ctx.batches.get(id);
    if (!batch || !canSee(principalOf(request), batch.owner)) throw notFound('batch', id);
    return { deliveries: await ctx.webhooks.deliveries(id) };
  });
}
