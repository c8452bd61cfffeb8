import { randomBytes } from 'node:crypto';
import { createBatchBodySchema, createScheduleBodySchema, scheduleIdSchema } from '@fleet/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiError, parseOr400 } from '../api-error.js';
import { principalOf } from '../auth.js';
import type { ApiContext } from '../context.js';
import { cronProblem, type Schedules } from '../schedules/schedule-runner.js';
import { type StoredSchedule, scheduleView } from '../schedules/schedule-store.js';

const idParams = z.strictObject({ id: scheduleIdSchema });
const ownerQuery = z.strictObject({ owner: z.string().max(64).optional() });

/**
 * `/v1/schedules` (README "Scheduled batches"): upsert by id, list, show, pause, resume, delete.
 * A schedule belongs to the key that saved it; an admin may name another owner with `?owner=`.
 */
export function registerScheduleRoutes(app: FastifyInstance, ctx: ApiContext, schedules: Schedules): void {
  const ownerOf = (request: FastifyRequest): string => {
    const principal = principalOf(request);
    const { owner } = parseOr400(ownerQuery, request.query, 'query');
    return owner !== undefined && principal.role === 'admin' ? owner : principal.name;
  };
  const found = async (request: FastifyRequest): Promise<StoredSchedule> => {
    const { id } = parseOr400(idParams, request.params, 'path');
    const schedule = await schedules.store.get(ownerOf(request), id);
    if (!schedule) throw new ApiError('SCHEDULE_NOT_FOUND', `schedule "${id}" was not found`);
    return schedule;
  };
  const view = async (s: StoredSchedule) =>
    scheduleView(s, await schedules.store.runsOf(s.owner, s.id), await schedules.nextRunAt(s.owner, s.id));

  app.post('/v1/schedules', async (request, reply) => {
    const owner = principalOf(request).name;
    const body = parseOr400(createScheduleBodySchema, request.body, 'body');
    const problem = body.cron !== undefined ? cronProblem(body.cron, body.timezone) : null;
    if (problem) throw new ApiError('INVALID_SCHEDULE', problem.message, [problem]);
    await checkBatch(ctx, body.batch);
    const id = body.id ?? newScheduleId();
    const before = await schedules.store.get(owner, id);
    const now = Date.now();
    const schedule: StoredSchedule = {
      id,
      owner,
      ...(body.cron !== undefined ? { cron: body.cron } : {}),
      ...(body.everyMs !== undefined ? { everyMs: body.everyMs } : {}),
      ...(body.timezone !== undefined ? { timezone: body.timezone } : {}),
      paused: before?.paused ?? false,
      batch: body.batch,
      createdAt: before?.createdAt ?? now,
      updatedAt: now,
    };
    await schedules.save(schedule);
    return reply.status(before ? 200 : 201).send(await view(schedule));
  });

  app.get('/v1/schedules', async (request) => {
    const principal = principalOf(request);
    const { owner } = parseOr400(ownerQuery, request.query, 'query');
    const all = principal.role === 'admin' && owner === undefined;
    const list = await schedules.store.list(all ? undefined : ownerOf(request));
    return { schedules: await Promise.all(list.map(view)) };
  });

  app.get('/v1/schedules/:id', async (request) => view(await found(request)));

  for (const [action, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    app.post(`/v1/schedules/:id/${action}`, async (request) => {
      const schedule = { ...(await found(request)), paused, updatedAt: Date.now() };
      await schedules.save(schedule);
      return view(schedule);
    });
  }

  app.delete('/v1/schedules/:id', async (request) => {
    const schedule = await found(request);
    await schedules.remove(schedule.owner, schedule.id);
    return { id: schedule.id, deleted: true };
  });
}

/**
 * The batch a schedule will submit, checked as far as it can be before a run: its shape (as
 * `POST /v1/batches` parses it), its size and its pool. A scenario or webhook refused later is
 * noted on the schedule (`lastError`) at its run.
 */
async function checkBatch(ctx: ApiContext, batch: unknown): Promise<void> {
  const body = parseOr400(createBatchBodySchema, batch, 'body.batch');
  if (body.items.length > ctx.settings.maxBatchItems) {
    throw new ApiError('BATCH_TOO_LARGE', `a batch may have at most ${ctx.settings.maxBatchItems} items`, [
      { field: 'batch.items', message: `has ${body.items.length} items` },
    ]);
  }
  if (!(await ctx.profiles.pools()).includes(body.pool)) {
    throw new ApiError(
      'UNKNOWN_POOL',
      `pool "${body.pool}" has no registered profiles: add profiles to it first`,
      [{ field: 'batch.pool', message: 'no such pool' }],
    );
  }
}

function newScheduleId(): string {
  return `s${randomBytes(6).toString('hex')}`;
}
