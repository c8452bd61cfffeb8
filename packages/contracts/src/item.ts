import { z } from 'zod';
import { scenarioInputSchema, scenarioRefSchema } from './scenario.js';
import { stepsSchema } from './steps.js';

export const poolSelectorSchema = z.strictObject({
  pool: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a pool name: 1-64 letters, digits, "_", "." or "-"'),
  tags: z
    .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:=-]{0,63}$/))
    .max(32)
    .optional(),
});

/** Batch ids: letters, digits, '_' and '-' (no ':' — BullMQ refuses it in job ids — and no '.'). */
export const batchIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'a batch id: 1-64 letters, digits, "_" or "-"');

/**
 * Politeness toward one site (README "Sharing a fleet"): at most `maxConcurrent` of its items at
 * once and `minDelayMs` between two starts, fleet-wide. Set by a batch (`options.perSite`, for the
 * host of each item's first `goto`) or by an admin per host; where both apply the stricter wins.
 */
export const perSiteSchema = z
  .strictObject({
    maxConcurrent: z.number().int().min(1).max(10_000).optional(),
    minDelayMs: z.number().int().min(0).max(600_000).optional(),
  })
  .refine((rule) => rule.maxConcurrent !== undefined || rule.minDelayMs !== undefined, {
    message: 'give maxConcurrent, minDelayMs or both',
  });
export type PerSite = z.infer<typeof perSiteSchema>;

export const ITEM_TIMEOUT_MS_DEFAULT = 120_000;
export const STEP_TIMEOUT_MS_DEFAULT = 15_000;

/**
 * One BullMQ job: one batch item, self-contained (its steps already have the item's variables
 * filled in). Never carries secrets: a proxy password stays out of job data. Exactly one of
 * `steps` and `scenario` (+ `input`): a scenario job goes to its scenario's own queue.
 */
const itemJobFields = z.strictObject({
  batchId: batchIdSchema,
  /** Items are numbered from 0 in submission order. */
  index: z.number().int().min(0),
  selector: poolSelectorSchema,
  steps: stepsSchema.optional(),
  /** A code scenario the operator deployed with the workers (`name@version`), instead of steps. */
  scenario: scenarioRefSchema.optional(),
  /** The scenario's input for this item (checked by the API against the advertised schema). */
  input: scenarioInputSchema.optional(),
  /** Time one attempt may take, start to finish. */
  itemTimeoutMs: z.number().int().positive().max(3_600_000).default(ITEM_TIMEOUT_MS_DEFAULT),
  /** Default time one step may take (waitFor may say its own). */
  stepTimeoutMs: z.number().int().positive().max(120_000).default(STEP_TIMEOUT_MS_DEFAULT),
  /** No attempt starts after this epoch ms (all attempts together); the item fails instead. */
  deadlineAt: z.number().int().positive().optional(),
  /** The batch's politeness toward the site of the item's first `goto` (README "Sharing a fleet"). */
  perSite: perSiteSchema.optional(),
  /** The API key (by name) that submitted the batch, for tenant-scoped events. */
  owner: z.string().max(200).optional(),
  /**
   * The tenant whose running slot the item holds when it came through fair share (README
   * "Sharing a fleet"): the worker gives the slot back when the item is finished in BullMQ.
   */
  tenant: z.string().max(200).optional(),
  /**
   * The batch sets a proxy for all its items: the worker reads it from the batch record (the job
   * carries only this flag, so a proxy password never sits in job data).
   */
  batchProxy: z.literal(true).optional(),
  /**
   * The item's trace (W3C `traceparent` of its `item.enqueue` span, README "Tracing"): workers
   * continue it. Present only when the API traces; ids, no data.
   */
  traceparent: z
    .string()
    .regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/, 'a W3C traceparent')
    .optional(),
  /** The batch's files for `upload` steps: name → where the API stored it (never the bytes). */
  files: z
    .record(
      z.string().max(64),
      z.strictObject({
        artifactId: z.string().max(64),
        filename: z.string().max(200),
        type: z.string().max(100),
      }),
    )
    .optional(),
});
export const itemJobSchema = itemJobFields
  .refine((job) => (job.steps === undefined) !== (job.scenario === undefined), {
    message: 'an item job has either steps or a scenario',
  })
  .refine((job) => job.scenario !== undefined || job.input === undefined, {
    message: 'input goes with a scenario',
    path: ['input'],
  });
export type ItemJob = z.infer<typeof itemJobSchema>;
export type ItemJobInput = z.input<typeof itemJobSchema>;

/** `<batchId>.<index>` — the item's id everywhere (results, events, BullMQ job ids). */
export function itemId(batchId: string, index: number): string {
  return `${batchId}.${index}`;
}

/** The batch id and index of an item id. */
export function parseItemId(id: string): { batchId: string; index: number } | null {
  const match = /^([A-Za-z0-9_-]{1,64})\.(\d{1,9})$/.exec(id);
  return match ? { batchId: match[1]!, index: Number(match[2]) } : null;
}

/** An artifact's id (`GET /v1/artifacts/:id`): 16 random bytes, base64url. */
export const artifactIdSchema = z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'an artifact id');

/** What a failed attempt left behind (artifact ids), DESIGN.md section 5. */
export const evidenceSchema = z.strictObject({
  /** PNG of the page when the step failed. */
  screenshot: artifactIdSchema.optional(),
  /** The page's HTML (at most 512 KiB, cut with a marker comment). */
  html: artifactIdSchema.optional(),
  /** The browser console's lines since the run began, as text. */
  console: artifactIdSchema.optional(),
  /** The page's URL, null when it could not be read. */
  url: z.string().max(4096).nullable().optional(),
  /**
   * Full evidence was not kept: this batch already kept EVIDENCE_PER_ERROR samples of this error
   * (same code, step path and message shape); `GET /v1/batches/:id/errors` counts them.
   */
  omitted: z.literal(true).optional(),
});
export type Evidence = z.infer<typeof evidenceSchema>;

export const itemErrorSchema = z.strictObject({
  code: z.string(),
  message: z.string(),
  /** Index of the top-level step that failed, or null when the failure was not in a step. */
  step: z.number().int().min(0).nullable(),
  /** The failed step's path into nested steps: `steps[3]`, `steps[1].then[0]`, `steps[2].do[0]#7`. */
  path: z.string().max(500).optional(),
  evidence: evidenceSchema.optional(),
});
export type ItemError = z.infer<typeof itemErrorSchema>;

export const itemResultSchema = z.strictObject({
  state: z.enum(['completed', 'failed']),
  data: z.record(z.string(), z.unknown()),
  /** Screenshot name → artifact id. */
  artifacts: z.record(z.string(), z.string()),
  url: z.string().nullable(),
  title: z.string().nullable(),
  profileId: z.string().nullable(),
  attempts: z.number().int().min(0),
  durationMs: z.number().int().min(0),
  error: itemErrorSchema.optional(),
  finishedAt: z.number().int(),
});
export type ItemResult = z.infer<typeof itemResultSchema>;

/** A scenario's last checkpoint for an item (`ctx.checkpoint(name, value)`), restored on a retry. */
export const checkpointSchema = z.strictObject({
  name: z.string().min(1).max(100),
  value: z.unknown(),
  /** Epoch ms it was written. */
  at: z.number().int(),
  /** The attempt that wrote it (1 = the first). */
  attempt: z.number().int().min(1),
});
export type Checkpoint = z.infer<typeof checkpointSchema>;
