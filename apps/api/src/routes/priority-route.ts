import { batchIdSchema, itemId, MAX_PRIORITY } from '@fleet/contracts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notFound, parseOr400 } from '../api-error.js';
import type { ApiContext } from '../context.js';

const admin = { config: { admin: true } };
const idParams = z.strictObject({ id: batchIdSchema });
/** `PUT /v1/admin/batches/:id/priority`: 1 runs first; null: none (after every prioritised batch). */
export const batchPriorityBodySchema = z.strictObject({
  priority: z.number().int().min(1).max(MAX_PRIORITY).nullable(),
});

/**
 * An admin changes a running batch's priority (README "Sharing a fleet"). With fair share its
 * pending items move within their key's order (the few already handed to BullMQ keep their
 * place); without it, its jobs that wait in BullMQ are re-prioritised there.
 */
export function registerPriorityRoute(app: FastifyInstance, ctx: ApiContext): void {
  app.put('/v1/admin/batches/:id/priority', admin, async (request) => {
    const { id } = parseOr400(idParams, request.params, 'path');
    const { priority } = parseOr400(batchPriorityBodySchema, request.body, 'body');
    const batch = await ctx.batches.get(id);
    if (!batch) throw notFound('batch', id);
    let reordered = 0;
    if (ctx.fair) {
      if (await ctx.fair.setPriority(id, priority ?? MAX_PRIORITY + 1))
        reordered = await ctx.fair.pendingOf(id);
    } else {
      const queue = ctx.queues.of(batch.scenario);
      for (let i = 0; i < batch.total; i += 200) {
        const ids = Array.from({ length: Math.min(200, batch.total - i) }, (_, k) => itemId(id, i + k));
        const jobs = await Promise.all(ids.map((jobId) => queue.getJob(jobId)));
        const changed = await Promise.all(
          jobs.map(async (job) => {
            if (!job || !['waiting', 'prioritized', 'delayed'].includes(await job.getState())) return 0;
            await job.changePriority({ priority: priority ?? 0 });
            return 1;
          }),
        );
        reordered += changed.reduce<number>((a, b) => a + b, 0);
      }
    }
    return { id, priority, reordered };
  });
}
