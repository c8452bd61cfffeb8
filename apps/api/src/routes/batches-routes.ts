import { canSee } from '@fleet/auth';
import { batchIdSchema, type ItemView, itemsQuerySchema, pageQuerySchema } from '@fleet/contracts';
import type { BatchRecord } from '@fleet/core';
import { inSpan, type Span, SpanKind } from '@fleet/telemetry';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiError, notFound, parseOr400 } from '../api-error.js';
import { principalOf } from '../auth.js';
import type { ApiContext } from '../context.js';
import { batchView } from '../views.js';
import { itemViews, registerResultsRoute } from './results-route.js';
import { submitBatch, withWaiting } from './submit-batch.js';

const idParams = z.strictObject({ id: batchIdSchema });
const itemParams = z.strictObject({
  id: batchIdSchema,
  index: z
    .string()
    .regex(/^\d{1,9}$/, 'an item index: 0, 1, 2…')
    .transform(Number),
});
/** Most item indexes one listing request looks at when filtering by state. */
const MAX_SCAN = 20_000;

export { newBatchId } from './submit-batch.js';

export function registerBatchRoutes(app: FastifyInstance, ctx: ApiContext): void {
  /** The batch if this key may see it; 404 otherwise (a foreign batch is not revealed). */
  async function visibleBatch(request: FastifyRequest, id: string): Promise<BatchRecord> {
    const batch = await ctx.batches.get(id);
    if (!batch || !canSee(principalOf(request), batch.owner)) throw notFound('batch', id);
    return batch;
  }

  /** POST /v1/batches, inside its `batch.submit` span (README "Tracing"). */
  const submit = async (request: FastifyRequest, reply: FastifyReply, span: Span) => {
    const { view, replayed } = await submitBatch(ctx, {
      principal: principalOf(request),
      body: request.body,
      idempotencyKey: request.headers['idempotency-key'],
      span,
    });
    if (replayed) reply.header('idempotent-replayed', 'true');
    return reply.status(202).send(view);
  };
  app.post('/v1/batches', (request, reply) =>
    inSpan('batch.submit', { kind: SpanKind.SERVER, attributes: { 'http.route': '/v1/batches' } }, (span) =>
      submit(request, reply, span),
    ),
  );

  app.get('/v1/batches', async (request) => {
    const principal = principalOf(request);
    const query = parseOr400(pageQuerySchema, request.query, 'query');
    const page = await ctx.batches.list({
      ...(principal.role === 'admin' ? {} : { owner: principal.name }),
      ...(query.cursor ? { cursor: query.cursor } : {}),
      limit: query.limit,
    });
    const batches = await Promise.all(page.batches.map((b) => withWaiting(ctx, batchView(b), b)));
    return { batches, nextCursor: page.nextCursor };
  });

  app.get('/v1/batches/:id', async (request) => {
    const { id } = parseOr400(idParams, request.params, 'path');
    const batch = await visibleBatch(request, id);
    return withWaiting(ctx, batchView(batch), batch);
  });

  app.get('/v1/batches/:id/items', async (request) => {
    const { id } = parseOr400(idParams, request.params, 'path');
    const query = parseOr400(itemsQuerySchema, request.query, 'query');
    const batch = await visibleBatch(request, id);
    const now = Date.now();
    const items: ItemView[] = [];
    let next = query.cursor ? Number(query.cursor) : 0;
    const stopAt = Math.min(batch.total, next + (query.state ? MAX_SCAN : query.limit));
    while (items.length < query.limit && next < stopAt) {
      const window = Math.min(query.state ? 500 : query.limit - items.length, stopAt - next);
      const views = await itemViews(ctx, batch, await ctx.items.range(batch.id, next, window), now);
      for (const view of views) {
        next = view.index + 1;
        if (query.state && view.state !== query.state) continue;
        items.push(view);
        if (items.length >= query.limit) break;
      }
    }
    return { items, nextCursor: next < batch.total ? String(next) : null };
  });

  registerResultsRoute(app, ctx, visibleBatch);

  app.get('/v1/batches/:id/items/:index', async (request) => {
    const { id, index } = parseOr400(itemParams, request.params, 'path');
    const batch = await visibleBatch(request, id);
    if (index >= batch.total) throw notFound('item', `${id}.${index}`);
    // itemViews reads an open item's attempts from its batch's queue (a scenario's own).
    const [view] = await itemViews(ctx, batch, await ctx.items.range(batch.id, index, 1), Date.now());
    return view;
  });

  app.get('/v1/batches/:id/errors', async (request) => {
    const { id } = parseOr400(idParams, request.params, 'path');
    const batch = await visibleBatch(request, id);
    return { batchId: batch.id, errors: await ctx.errors.summary(batch.id) };
  });

  app.delete('/v1/batches/:id', async (request) => {
    const { id } = parseOr400(idParams, request.params, 'path');
    const batch = await visibleBatch(request, id);
    if (batch.status !== 'completed' && batch.status !== 'cancelled') {
      throw new ApiError(
        'BATCH_NOT_FINISHED',
        `batch "${id}" is ${batch.status}: cancel it first, then delete it`,
      );
    }
    await ctx.batches.remove(id);
    // Its artifacts (screenshots, evidence, uploaded files) go now; the sweeper is the safety net.
    const artifactsRemoved = await ctx.artifacts.removeBatch(id);
    return { id, deleted: true, artifactsRemoved };
  });

  app.post('/v1/batches/:id/cancel', async (request) => {
    const { id } = parseOr400(idParams, request.params, 'path');
    await visibleBatch(request, id);
    const outcome = await ctx.service.cancel(id);
    if (outcome.status === 'unknown' || !outcome.batch) throw notFound('batch', id);
    if (outcome.status === 'finished') {
      throw new ApiError('BATCH_FINISHED', `batch "${id}" already finished: there is nothing to cancel`);
    }
    if (outcome.status === 'cancelled') ctx.metrics.batchesCancelled.inc(); // not 'already-cancelled'
    return { ...batchView(outcome.batch), removed: outcome.removed };
  });
}

/**
 * The batch's scenario (`name` → its latest advertised version) with every item checked against
 * its advertised input schema: 400 SCENARIO_UNKNOWN, or SCENARIO_INPUT_INVALID with `items[i].field`.
 */
