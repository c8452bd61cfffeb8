import { createHash, randomBytes } from 'node:crypto';
import type { Principal } from '@fleet/auth';
import {
  type BatchView,
  type CreateBatchBody,
  createBatchBodySchema,
  parseScenarioSpec,
  type ScenarioRef,
} from '@fleet/contracts';
import type { BatchPlanInput, BatchRecord, PlannedBatch } from '@fleet/core';
import { ATTR, type Span } from '@fleet/telemetry';
import { ApiError, parseOr400 } from '../api-error.js';
import type { ApiContext } from '../context.js';
import { batchView, canonicalJson } from '../views.js';
import { decodeBatchFiles, storeBatchFiles } from './batch-files.js';
import { checkBatchWebhook } from './webhooks-routes.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;
/** An unfinished batch whose submit was cut short is resumed by a replay after this long. */
const RESUME_AFTER_MS = 30_000;

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

/** A batch to submit: from `POST /v1/batches`, or a schedule's run (the schedule's owner). */
export interface SubmitRequest {
  principal: Principal;
  /** The request body, not yet parsed. */
  body: unknown;
  /** The Idempotency-Key header (a scheduled run's is derived from the schedule and run). */
  idempotencyKey: unknown;
  scheduleId?: string;
  span?: Span;
}

export interface Submitted {
  view: BatchView;
  /** An earlier submit with the same Idempotency-Key made it (`Idempotent-Replayed: true`). */
  replayed: boolean;
}

/**
 * The one way a batch is created: checked (size, scenario, pool, webhook, files), planned,
 * enqueued; idempotent per (owner, Idempotency-Key) for 24 h.
 */
export async function submitBatch(ctx: ApiContext, request: SubmitRequest): Promise<Submitted> {
  const { principal, span } = request;
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
  if (body.webhook) await checkBatchWebhook(ctx, principal.name, body.webhook);
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
    ...(body.options?.perSite ? { perSite: body.options.perSite } : {}),
    ...(request.scheduleId ? { scheduleId: request.scheduleId } : {}),
  });
  const planned = ctx.service.plan(input(newBatchId()));
  span?.setAttributes({ [ATTR.batchId]: planned.input.batchId, 'fleet.batch.items': planned.jobs.length });
  /** The plan with the batch's files stored and named in every job. */
  const withFiles = async (plan: PlannedBatch): Promise<PlannedBatch> => {
    // Before any item is queued, so the relay finds the webhook for the batch's first event.
    if (body.webhook) await ctx.webhooks.setBatchWebhook(plan.input.batchId, principal.name, body.webhook);
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

  const key = request.idempotencyKey;
  if (key === undefined) {
    const record = await ctx.service.submit(await withFiles(planned), enqueue);
    ctx.metrics.batchesSubmitted.inc();
    await confirmReplicated(ctx, record.id);
    return { view: await withWaiting(ctx, batchView(record), record), replayed: false };
  }
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
    throw new ApiError('INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1-200 printable ASCII characters');
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
    return { view: await withWaiting(ctx, batchView(record), record), replayed: false };
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
  return { view: await withWaiting(ctx, batchView(answer), answer), replayed: true };
}

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

export async function withWaiting(ctx: ApiContext, view: BatchView, batch: BatchRecord): Promise<BatchView> {
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
