import { z } from 'zod';
import { itemErrorSchema, perSiteSchema, poolSelectorSchema } from './item.js';
import { scenarioInputSchema, scenarioSpecSchema, waitingForSchema } from './scenario.js';
import { filesUsed, isHttpUrl, stepsSchema } from './steps.js';
import { batchWebhookSchema } from './webhooks.js';

/**
 * HTTP bodies and answers of the API (`apps/api`), shared with the CLI and the OpenAPI document.
 * Times in HTTP answers are ISO 8601 strings; events keep epoch ms in `at`.
 */

const poolName = poolSelectorSchema.shape.pool;
const tags = poolSelectorSchema.shape.tags;

/** A proxy for a profile or a batch. The password is a secret: never logged, never in job data. */
export const proxySchema = z.strictObject({
  type: z.enum(['http', 'https', 'socks5']),
  host: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[A-Za-z0-9.:[\]-]+$/, 'a host name or IP address'),
  port: z.number().int().min(1).max(65535),
  username: z.string().min(1).max(256).optional(),
  password: z.string().min(1).max(256).optional(),
});
export type ProxyInput = z.infer<typeof proxySchema>;

/** An item's variables, filled into `{{name}}` in the steps. */
export const itemVarsSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name: letters, digits and "_"'),
  z.union([z.string().max(10_000), z.number(), z.boolean()]),
);

export const MAX_BACKOFF_MS = 3_600_000;
/** BullMQ's highest priority number (1 = first). */
export const MAX_PRIORITY = 2_097_152;

export const batchOptionsSchema = z.strictObject({
  /** Attempts of one item before it fails for good. */
  attempts: z.number().int().min(1).max(20).optional(),
  /** First retry delay; doubles each attempt, with jitter. */
  backoffMs: z.number().int().min(0).max(MAX_BACKOFF_MS).optional(),
  itemTimeoutMs: z.number().int().positive().max(3_600_000).optional(),
  stepTimeoutMs: z.number().int().positive().max(120_000).optional(),
  /** 1 runs first; omitted runs after every prioritised item. */
  priority: z.number().int().min(1).max(MAX_PRIORITY).optional(),
  /** Every item of the batch goes through this proxy instead of its profile's own. */
  proxy: proxySchema.optional(),
  /** At most this many items on one site at once, this long between starts (fleet-wide). */
  perSite: perSiteSchema.optional(),
});
export type BatchOptions = z.infer<typeof batchOptionsSchema>;

export const MAX_BATCH_FILES = 10;
export const MAX_BATCH_FILE_BYTES = 1024 * 1024;
export const MAX_BATCH_FILES_BYTES = 5 * 1024 * 1024;

/** Decoded size of a base64 string (no padding check: the API decodes and checks again). */
export function base64Bytes(value: string): number {
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  return Math.floor((value.length * 3) / 4) - padding;
}

/**
 * A file the batch's `upload` steps set on file inputs. The API stores it as an artifact of the
 * batch at submit; jobs carry only its artifact id (`itemJobSchema.files`).
 */
export const batchFileSchema = z.strictObject({
  /** What `upload.file` calls it. */
  name: z
    .string()
    .regex(
      /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/,
      'use 1-64 letters, digits, "_", "." or "-", starting with a letter or "_"',
    ),
  /** The file name the page sees. */
  filename: z
    .string()
    .min(1)
    .max(200)
    .refine((v) => !/[/\\]/.test(v) && ![...v].some((c) => c.charCodeAt(0) < 0x20), {
      message: 'a file name without slashes or control characters',
    }),
  type: z
    .string()
    .regex(/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/i, 'a MIME type such as text/csv')
    .max(100)
    .optional(),
  contentBase64: z
    .string()
    .max(Math.ceil(MAX_BATCH_FILE_BYTES / 3) * 4)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64 (standard alphabet)'),
});
export type BatchFile = z.infer<typeof batchFileSchema>;

export const createBatchBodySchema = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    pool: poolName.default('default'),
    tags,
    steps: stepsSchema.optional(),
    /**
     * A code scenario the workers advertise, `"name"` (its latest version) or `"name@version"`,
     * instead of `steps`: then each item is that scenario's input (checked against its schema).
     */
    scenario: scenarioSpecSchema.optional(),
    /** With `steps`: each item's variables; with `scenario`: each item's input object. */
    items: z.array(scenarioInputSchema).min(1),
    /** Files for `upload` steps (at most 10, each ≤ 1 MiB, 5 MiB together). */
    files: z.array(batchFileSchema).min(1).max(MAX_BATCH_FILES).optional(),
    options: batchOptionsSchema.optional(),
    /** Where the batch's events are POSTed, signed (README "Webhooks"). */
    webhook: batchWebhookSchema.optional(),
  })
  .superRefine((body, ctx) => {
    // Exactly one of steps/scenario; with steps, every item is a set of variables.
    if ((body.steps === undefined) === (body.scenario === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: body.steps === undefined ? ['steps'] : ['scenario'],
        message: 'give either steps or scenario (exactly one)',
      });
    }
    if (body.steps !== undefined) {
      body.items.forEach((item, index) => {
        const vars = itemVarsSchema.safeParse(item);
        if (vars.success) return;
        for (const issue of vars.error.issues) {
          ctx.addIssue({ code: 'custom', path: ['items', index, ...issue.path], message: issue.message });
        }
      });
    }
    const files = body.files ?? [];
    const names = new Set<string>();
    let total = 0;
    for (const [i, file] of files.entries()) {
      if (names.has(file.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['files', i, 'name'],
          message: `"${file.name}" is given twice`,
        });
      }
      names.add(file.name);
      const bytes = base64Bytes(file.contentBase64);
      total += bytes;
      if (bytes > MAX_BATCH_FILE_BYTES) {
        ctx.addIssue({
          code: 'custom',
          path: ['files', i, 'contentBase64'],
          message: `${bytes} bytes: a file may have at most ${MAX_BATCH_FILE_BYTES}`,
        });
      }
    }
    if (total > MAX_BATCH_FILES_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['files'],
        message: `${total} bytes in all: at most ${MAX_BATCH_FILES_BYTES}`,
      });
    }
    for (const file of filesUsed(body.steps ?? [])) {
      if (!names.has(file)) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps'],
          message: `an upload step names file "${file}", which is not in the batch's files`,
        });
      }
    }
  });
export type CreateBatchBody = z.infer<typeof createBatchBodySchema>;
export type CreateBatchInput = z.input<typeof createBatchBodySchema>;

export const BATCH_STATUSES = ['queued', 'running', 'completed', 'cancelled'] as const;

export const batchViewSchema = z.strictObject({
  id: z.string(),
  name: z.string().nullable(),
  owner: z.string().nullable(),
  pool: z.string(),
  status: z.enum(BATCH_STATUSES),
  total: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  createdAt: z.string(),
  finishedAt: z.string().optional(),
  /** The batch's code scenario (`name@version`), when it runs one instead of steps. */
  scenario: z.string().optional(),
  /** The schedule that created it (`POST /v1/schedules`), for a scheduled run. */
  scheduleId: z.string().optional(),
  /** Unfinished and no live worker has its scenario: its items wait for one. */
  waitingFor: waitingForSchema.optional(),
  links: z.strictObject({ self: z.string(), items: z.string(), cancel: z.string() }),
});
export type BatchView = z.infer<typeof batchViewSchema>;

export const batchPageSchema = z.strictObject({
  batches: z.array(batchViewSchema),
  nextCursor: z.string().nullable(),
});

export const ITEM_STATES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type ItemState = (typeof ITEM_STATES)[number];

export const itemViewSchema = z.strictObject({
  index: z.number().int(),
  id: z.string(),
  state: z.enum(ITEM_STATES),
  result: z
    .strictObject({
      data: z.record(z.string(), z.unknown()),
      /** Screenshot name → artifact id (`GET /v1/artifacts/:id`). */
      artifacts: z.record(z.string(), z.string()),
      url: z.string().nullable(),
      title: z.string().nullable(),
    })
    .optional(),
  error: itemErrorSchema.optional(),
  profileId: z.string().optional(),
  attempts: z.number().int(),
  durationMs: z.number().int().optional(),
  finishedAt: z.string().optional(),
  links: z
    .strictObject({
      /** `GET /v1/batches/:id/items/:index` */
      self: z.string(),
      /** The result's artifacts by name → `/v1/artifacts/:id`. */
      artifacts: z.record(z.string(), z.string()),
      /** A failure's evidence → `/v1/artifacts/:id`. */
      evidence: z
        .strictObject({
          screenshot: z.string().optional(),
          html: z.string().optional(),
          console: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
});
export type ItemView = z.infer<typeof itemViewSchema>;

/** One kind of failure in a batch (`GET /v1/batches/:id/errors`): same code, step path, message shape. */
export const batchErrorSchema = z.strictObject({
  signature: z.string(),
  /** The error code; `*` for the kinds counted together past the batch's 500 signatures. */
  code: z.string(),
  path: z.string().nullable(),
  /** The first failure's message. */
  message: z.string(),
  /** Failed items of this kind (failures inside steps; a retried attempt is not counted). */
  count: z.number().int(),
  /** How many of them kept full evidence (at most EVIDENCE_PER_ERROR). */
  withEvidence: z.number().int(),
  /** The first items that failed this way (up to 10). */
  items: z.array(z.string()),
});
export type BatchError = z.infer<typeof batchErrorSchema>;

export const batchErrorsSchema = z.strictObject({
  batchId: z.string(),
  /** Most frequent first. */
  errors: z.array(batchErrorSchema),
});
export type BatchErrors = z.infer<typeof batchErrorsSchema>;

export const itemPageSchema = z.strictObject({
  items: z.array(itemViewSchema),
  nextCursor: z.string().nullable(),
});

export const itemsQuerySchema = z.strictObject({
  state: z.enum(ITEM_STATES).optional(),
  cursor: z
    .string()
    .regex(/^\d{1,9}$/, 'a cursor from an earlier page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** `GET /v1/batches/:id/results`: `format` wins over the Accept header (`text/csv` → CSV, else JSON Lines). */
export const resultsQuerySchema = z.strictObject({
  state: z.enum(ITEM_STATES).optional(),
  format: z.enum(['jsonl', 'csv']).optional(),
});

export const pageQuerySchema = z.strictObject({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});

const profileId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'a profile id: 1-128 letters, digits, "_", "." or "-"');

/**
 * A profile's home launcher: the Fleet launcher that holds its browser data, as an origin
 * (`http://10.0.0.12:45001`, no path, no credentials). Workers on any host start it there.
 */
export const launcherUrlSchema = z
  .string()
  .max(300)
  .refine((v) => isHttpUrl(v) && new URL(v).origin === v.replace(/\/$/, ''), {
    message: 'must be a launcher origin such as http://10.0.0.12:45001 (no path, no credentials)',
  });

export const createProfileBodySchema = z.strictObject({
  id: profileId,
  pool: poolName,
  tags,
  /** The provider's folder (Multilogin X); the launcher's default folder when omitted. */
  folderId: z.string().min(1).max(128).optional(),
  /** Its home launcher (local profiles on several launcher hosts); omitted: the workers' own. */
  launcher: launcherUrlSchema.optional(),
  proxy: proxySchema.optional(),
});
export type CreateProfileBody = z.infer<typeof createProfileBodySchema>;

export const patchProfileBodySchema = z
  .strictObject({
    tags,
    folderId: z.string().min(1).max(128).optional(),
    /** null: no home launcher (the workers' own). */
    launcher: launcherUrlSchema.nullable().optional(),
    /** null removes the profile's proxy. */
    proxy: proxySchema.nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, {
    message: 'give at least one of tags, folderId, launcher, proxy',
  });
export type PatchProfileBody = z.infer<typeof patchProfileBodySchema>;

export const PROFILE_STATES = ['available', 'leased', 'quarantined'] as const;

export const profilesQuerySchema = z.strictObject({
  pool: poolName.optional(),
  state: z.enum(PROFILE_STATES).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const quarantineBodySchema = z.strictObject({
  reason: z.string().min(1).max(500).default('by hand'),
  /** Omitted: until released by hand. */
  durationMs: z
    .number()
    .int()
    .positive()
    .max(365 * 24 * 3_600_000)
    .optional(),
});

export const importProfilesBodySchema = z.strictObject({
  pool: poolName,
  tags,
  /** Only the provider's profiles in this folder; all folders when omitted. */
  folderId: z.string().min(1).max(128).optional(),
  /** Record this launcher as the imported profiles' home (import from one launcher host). */
  launcher: launcherUrlSchema.optional(),
  /** Stop after this many profiles. */
  limit: z.number().int().min(1).max(10_000).default(1000),
});

export const profileViewSchema = z.strictObject({
  id: z.string(),
  pool: z.string(),
  tags: z.array(z.string()),
  folderId: z.string().nullable(),
  /** Its home launcher; null: whichever provider the worker that leases it is configured with. */
  launcher: z.string().nullable(),
  /** The proxy without its password (`hasPassword` says whether one is set). */
  proxy: z
    .strictObject({
      type: z.string(),
      host: z.string(),
      port: z.number().int(),
      username: z.string().optional(),
      hasPassword: z.boolean(),
    })
    .nullable(),
  state: z.enum(PROFILE_STATES),
  readyAt: z.string().nullable(),
  lease: z.strictObject({ owner: z.string(), fence: z.number().int(), expiresAt: z.string() }).nullable(),
  quarantine: z.strictObject({ until: z.string().nullable(), reason: z.string() }).nullable(),
  fence: z.number().int(),
  stats: z.strictObject({
    leases: z.number().int(),
    successes: z.number().int(),
    failures: z.number().int(),
    failStreak: z.number().int(),
    lastReleasedAt: z.string().nullable(),
  }),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ProfileView = z.infer<typeof profileViewSchema>;
