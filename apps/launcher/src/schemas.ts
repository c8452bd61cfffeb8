import { z } from 'zod';
import { LauncherError } from './envelope.js';

/**
 * Request shapes. Lenient where Multilogin clients differ (unknown fields are ignored, numbers may
 * arrive as strings, a proxy may sit at `proxy` or `parameters.proxy`), strict where a wrong value
 * would silently do the wrong thing (types, ranges).
 */
const text = z.string().trim();
const optionalText = z.string().trim().optional();
const tags = z.array(z.string().trim().min(1)).max(100);

export const proxySchema = z.object({
  type: z
    .string()
    .trim()
    .toLowerCase()
    .transform((value) => (value === 'socks' ? 'socks5' : value))
    .pipe(z.enum(['http', 'https', 'socks5'])),
  host: text.min(1),
  port: z.coerce.number().int().min(1).max(65535),
  username: z.string().nullish(),
  password: z.string().nullish(),
});
export type ProxyInput = z.infer<typeof proxySchema>;

const parameters = z
  .object({
    proxy: proxySchema.nullish(),
    flags: z.object({ proxy_masking: z.string().optional() }).passthrough().optional(),
  })
  .passthrough()
  .optional();

export const signInSchema = z.object({ email: text.min(1), password: text.min(1) });

export const refreshSchema = z.object({
  email: text.min(1),
  refresh_token: text.min(1),
  workspace_id: z.string().optional(),
});

export const createProfileSchema = z.object({
  name: optionalText,
  folder_id: optionalText,
  browser_type: optionalText,
  os_type: optionalText,
  notes: z.string().optional(),
  tags: tags.optional(),
  proxy: proxySchema.nullish(),
  parameters,
});

export const searchSchema = z.object({
  is_removed: z.boolean().default(false),
  limit: z.coerce.number().int().min(1).max(100).default(100),
  offset: z.coerce.number().int().min(0).default(0),
  search_text: z.string().default(''),
  storage_type: z.string().optional(),
  folder_id: optionalText,
  tags: tags.optional(),
});

export const partialUpdateSchema = z.object({
  profile_id: text.min(1),
  name: optionalText,
  folder_id: optionalText,
  notes: z.string().optional(),
  tags: tags.optional(),
  proxy: proxySchema.nullish(),
  parameters,
});

export const removeSchema = z.object({
  ids: z.array(text.min(1)).min(1).max(1000),
  permanently: z.boolean().optional(),
});

/** `?ids=a,b` (Multilogin's unlock call takes the ids in the query). */
export const unlockQuerySchema = z.object({
  ids: z
    .string()
    .min(1)
    .max(10_000)
    .transform((v) => v.split(',').filter(Boolean))
    .pipe(z.array(text.min(1)).min(1).max(100)),
});

export const startQuerySchema = z.object({
  automation_type: z.enum(['selenium', 'puppeteer', 'playwright']).default('selenium'),
  headless_mode: z
    .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
    .transform((value) => value === true || value === 'true' || value === '1')
    .default(true),
});

/** Validates `input`; a failure is a 400 BAD_REQUEST whose message names every bad field. */
export function parse<S extends z.ZodType>(schema: S, input: unknown, where = 'body'): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : where;
    return `${field}: ${issue.message}`;
  });
  throw new LauncherError('BAD_REQUEST', `invalid ${where}: ${problems.join('; ')}`);
}
