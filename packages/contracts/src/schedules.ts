import { z } from 'zod';

/** A schedule's id: chosen by its owner (upserted by id) or given by the API. */
export const scheduleIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    'letters, digits, "_", "." or "-" (up to 64), starting with a letter or digit',
  );

/**
 * `POST /v1/schedules`: a batch to submit on a cron pattern (in `timezone`, default UTC) or every
 * `everyMs`. `batch` is the body `POST /v1/batches` takes, checked the same way when the schedule is
 * saved and again at each run.
 */
export const createScheduleBodySchema = z
  .strictObject({
    id: scheduleIdSchema.optional(),
    cron: z.string().min(1).max(120).optional(),
    everyMs: z
      .number()
      .int()
      .min(1000)
      .max(366 * 24 * 3600 * 1000)
      .optional(),
    timezone: z.string().min(1).max(64).optional(),
    batch: z.record(z.string(), z.unknown()),
  })
  .superRefine((body, ctx) => {
    if ((body.cron === undefined) === (body.everyMs === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['cron'], message: 'give exactly one of cron and everyMs' });
    }
    if (body.timezone !== undefined && body.cron === undefined) {
      ctx.addIssue({ code: 'custom', path: ['timezone'], message: 'a timezone goes with cron only' });
    }
  });
export type CreateScheduleBody = z.infer<typeof createScheduleBodySchema>;

export const scheduleViewSchema = z.strictObject({
  id: scheduleIdSchema,
  owner: z.string(),
  cron: z.string().optional(),
  everyMs: z.number().int().optional(),
  timezone: z.string().optional(),
  paused: z.boolean(),
  /** When the next run is due (ISO); null while paused. */
  nextRunAt: z.string().nullable(),
  /** Runs that created a batch. */
  runs: z.number().int(),
  lastRun: z.strictObject({ batchId: z.string(), at: z.string() }).optional(),
  /** The last run that could not create its batch (the owner key revoked, a pool gone…). */
  lastError: z.strictObject({ code: z.string(), message: z.string(), at: z.string() }).optional(),
  /** The batch's name, if it has one. */
  batchName: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ScheduleView = z.infer<typeof scheduleViewSchema>;
