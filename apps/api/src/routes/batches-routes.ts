import { createHash, randomBytes } from 'node:crypto';
import { canSee } from '@fleet/auth';
import {
  type BatchView,
  batchIdSchema,
  type CreateBatchBody,
  createBatchBodySchema,
  type ItemView,
  itemsQuerySchema,
  pageQuerySchema,
  parseScenarioSpec,
  type ScenarioRef,
} from '@fleet/contracts';
import type { BatchPlanInput, BatchRecord, PlannedBatch } from '@fleet/core';
import { ATTR, inSpan, type Span, SpanKind } from '@fleet/telemetry';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiError, notFound, parseOr400 } from '../api-error.js';
import { principalOf } from '../auth.js';
import type { ApiContext } from '../context.js';
import { batchView, canonicalJson } from '../views.js';
import { decodeBatchFiles, storeBatchFiles } from './batch-files.js';
import { itemViews, registerResultsRoute } from './results-route.js';

const idParams = z.strictObject({ id: batchIdSchema });
const itemParams = z.strictObject({
  id: batchIdSchema,
  index: z
    .string()
    .regex(/^\d{1,9}$/, 'an item index: 0, 1, 2…')
    .transform(Number),
});
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;
/** An unfinished batch whose submit was cut short is resumed by a replay after this long. */
const RESUME_AFTER_MS = 30_000;
/** Most item indexes one listing request looks at when filtering by state. */
const MAX_SCAN = 20_000;

/**
 * 16 base64url characters that never start with '-' or '_': an id is typed on command lines
 * (`fleet batches show <id>`), where a leading '-' reads as an option (1 id in 32 did).
 */
export function newBatchId(): string {
  for (;;) {
    const id = randomBytes(12).toString('base64url');
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}

export function registerBatchRoutes(app: FastifyInstance, ctx: ApiContext): void {
  /** The batch if this key may see it; 404 otherwise (a foreign batch is not revealed). */
  async function visibleBatch(request: FastifyRequest, id: string): Promise<BatchRecord> {
    const batch = await ctx.batches.get(id);
    if (!batch || !canSee(principalOf(request), batch.owner)) throw notFound('batch', id);
    return batch;
  }

  /** POST /v1/batches, inside its `batch.submit` span (README "Tracing"). */
  const submit = async (request: FastifyRequest, reply: FastifyReply, span: Span) => {
    const principal = principalOf(request);
    const body = parseOr400(createBatchBodySchema, request.body, 'body');
    if (body.items.length > ctx.settings.maxBatchItems) {
      throw new ApiError(
        'BATCH_TOO_LARGE',
        `a batch may have at most ${ctx.settings.maxBatchItems} items; split it into several batches`,
        [{ field: 'items', message: `has ${body.items.length} items` }],
      );
    }
    const scenario = body.scenario ? await checkScenario(ctx, body) : undefined;
    if (!(await ctx.profiles.pools()).includes(body.pool)) {
      throw new ApiError(
        'UNKNOWN_POOL',
        `pool "${body.pool}" has no registered profiles: add profiles to it first`,
        [{ field: 'pool', message: 'no such pool' }],
      );
    }
    // Checked before anything is written; stored only by a request that submits (not a replay).
    const files = body.files ? decodeBatchFiles(body.files) : [];
    const input = (batchId: string): BatchPlanInput => ({
      batchId,
      name: body.name ?? null,
      owner: principal.name,
      pool: body.pool,
      ...(body.tags ? { tags: body.tags } : {}),
      ...(scenario ? { scenario } : { steps: body.steps ?? [] }),
      items: body.items,
      ...(body.options?.itemTimeoutMs ? { itemTimeoutMs: body.options.itemTimeoutMs } : {}),
      ...(body.options?.stepTimeoutMs ? { stepTimeoutMs: body.options.stepTimeoutMs } : {}),
      ...(body.options?.proxy ? { proxy: body.options.proxy } : {}),
    });
    const planned = ctx.service.plan(input(newBatchId()));
    span.setAttributes({ [ATTR.batchId]: planned.input.batchId, 'fleet.batch.items': planned.jobs.length });
    /** The plan with the batch's files stored and named in every job. */
    const withFiles = async (plan: PlannedBatch): Promise<PlannedBatch> => {
      if (files.length === 0) return plan;
      const stored = await storeBatchFiles(ctx.artifacts, plan.input.batchId, files);
      return {
        input: { ...plan.input, files: stored },
        jobs: plan.jobs.map((job) => ({ ...job, files: stored })),
      };
    };
    const enqueue = {
      attempts: body.options?.attempts ?? ctx.settings.itemAttempts,
      backoffMs: body.options?.backoffMs ?? ctx.settings.itemBackoffMs,
      ...(body.options?.priority ? { priority: body.options.priority } : {}),
    };

    const key = request.headers['idempotency-key'];
    if (key === undefined) {
      const record = await ctx.service.submit(await withFiles(planned), enqueue);
      ctx.metrics.batchesSubmitted.inc();
      await confirmReplicated(ctx, record.id);
      return reply.status(202).send(await withWaiting(ctx, batchView(record), record));
    }
    if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
      throw new ApiError(
        'INVALID_IDEMPOTENCY_KEY',
        'Idempotency-Key must be 1-200 printable ASCII characters',
      );
    }
    const bodyHash = createHash('sha256').update(canonicalJson(body)).digest('hex');
    const reservation = await ctx.idempotency.reserve(principal.name, key, bodyHash, planned.input.batchId);
    if (reservation.outcome === 'conflict') {
      throw new ApiError(
        'IDEMPOTENCY_KEY_REUSED',
        'this Idempotency-Key was used with a different body in the last 24 h: use a new key',
        [{ batchId: reservation.batchId }],
      );
    }
    if (reservation.outcome === 'new') {
      let record: BatchRecord;
      try {
        record = await ctx.service.submit(await withFiles(planned), enqueue);
        ctx.metrics.batchesSubmitted.inc();
      } catch (error) {
        await ctx.idempotency.release(principal.name, key, planned.input.batchId).catch(() => {});
        throw error;
      }
      // Not confirmed: the key stays reserved, so a retry with it answers this batch if it survived.
      await confirmReplicated(ctx, record.id);
      return reply.status(202).send(await withWaiting(ctx, batchView(record), record));
    }
    // A replay: the first request may still be creating the batch; wait for its record.
    const record = await waitForRecord(ctx, reservation.batchId);
    if (!record) {
      throw new ApiError(
        'SUBMIT_IN_PROGRESS',
        'the first request with this Idempotency-Key is still running: retry shortly',
        [],
        { headers: { 'retry-after': '1' } },
      );
    }
    let answer = record;
    if (!record.enqueued && Date.now() - record.createdAt > RESUME_AFTER_MS) {
      // The first submit was cut short (its process died): add the items again; existing ones are kept.
      // Jobs already enqueued keep the files the first request stored; the rest get a new copy.
      answer = await ctx.service.submit(await withFiles(ctx.service.plan(input(record.id))), {
        ...enqueue,
        resume: true,
      });
      await confirmReplicated(ctx, record.id);
    }
    return reply
      .status(202)
      .header('idempotent-replayed', 'true')
      .send(await withWaiting(ctx, batchView(answer), answer));
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
async function checkScenario(ctx: ApiContext, body: CreateBatchBody): Promise<ScenarioRef> {
  const { name, version } = parseScenarioSpec(body.scenario!);
  const found = await ctx.scenarios.resolve(name, version);
  if (!found) {
    const known = (await ctx.scenarios.list()).map((s) => s.id);
    throw new ApiError(
      'SCENARIO_UNKNOWN',
      `no worker has advertised scenario "${body.scenario}"${known.length ? ` (known: ${known.slice(0, 20).join(', ')})` : ''}`,
      [{ field: 'scenario', message: 'no such scenario (GET /v1/scenarios lists them)' }],
    );
  }
  const problems = ctx.scenarioInputs.problems(found, body.items);
  if (problems.length > 0) {
    throw new ApiError(
      'SCENARIO_INPUT_INVALID',
      `some items do not match the input schema of ${found.id}`,
      problems,
    );
  }
  return { name: found.name, version: found.version };
}

/** An unfinished scenario batch whose scenario no live worker has says so (`waitingFor`). */
/**
 * Behind Sentinel, a batch is answered 202 only once a replica has it (its record and jobs went
 * over this connection): else 503, since a failover now would lose a batch the client was told
 * exists (DESIGN.md "Redis failover").
 */
async function confirmReplicated(ctx: ApiContext, batchId: string): Promise<void> {
  if (!ctx.replicaWait || (await ctx.replicaWait.confirmed())) return;
  throw new ApiError(
    'REDIS_UNAVAILABLE',
    `batch ${batchId} is written, but no Redis replica confirmed it within ${ctx.replicaWait.options.timeoutMs} ms, so a failover could lose it: ask for it before sending it again, or send it again with the same Idempotency-Key`,
    [{ batchId }],
    { headers: { 'retry-after': '1' } },
  );
}

async function withWaiting(ctx: ApiContext, view: BatchView, batch: BatchRecord): Promise<BatchView> {
  if (!batch.scenario) return view;
  if (batch.status === 'completed' || batch.status === 'cancelled') return view;
  const workers = (await ctx.scenarios.workersAlive([batch.scenario])).get(batch.scenario) ?? 0;
  if (workers === 0) view.waitingFor = { scenario: batch.scenario, workers };
  return view;
}

async function waitForRecord(ctx: ApiContext, batchId: string): Promise<BatchRecord | null> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const record = await ctx.batches.get(batchId);
    if (record?.enqueued || (record && Date.now() >= deadline)) return record;
    if (Date.now() >= deadline) return null;
    await new Promise((r) => setTimeout(r, 25));
  }
}
