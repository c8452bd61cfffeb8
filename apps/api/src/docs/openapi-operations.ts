import { itemsQuerySchema, pageQuerySchema, profilesQuerySchema } from '@fleet/contracts';
import { z } from 'zod';
import type { AnswerName, JsonSchema, PATH_PARAMS, RequestBodyName } from './openapi-schemas.js';

/** One documented route. `path` is spelled as Fastify spells it (`:id`). */
export interface OperationSpec {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: 'batches' | 'artifacts' | 'profiles' | 'keys' | 'health';
  /** Who may call it: anyone, any key, admin keys. */
  access: 'public' | 'key' | 'admin';
  /** Path parameter name in the URL → a PATH_PARAMS entry. */
  params?: Record<string, keyof typeof PATH_PARAMS>;
  query?: z.ZodType;
  body?: { schema: RequestBodyName; required: boolean };
  headers?: JsonSchema[];
  ok: { status: number; description: string; schema?: AnswerName; png?: true; text?: true };
  /** Error codes this operation answers besides the common ones (added from access, body, params). */
  errors?: Record<number, string[]>;
}

const batchParams = { id: 'batchId' } as const;
const profileParams = { id: 'profileId' } as const;

/** Every route of the API, as the routes in routes/*.routes.ts serve them. */
export const OPERATIONS: OperationSpec[] = [
  {
    method: 'get',
    path: '/health',
    operationId: 'health',
    summary: 'The process is alive',
    tag: 'health',
    access: 'public',
    ok: { status: 200, description: 'Alive.', schema: 'Health' },
  },
  {
    method: 'get',
    path: '/ready',
    operationId: 'ready',
    summary: 'Redis answers',
    tag: 'health',
    access: 'public',
    ok: { status: 200, description: 'Ready.', schema: 'Ready' },
    errors: { 503: ['REDIS_UNAVAILABLE'] },
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    summary: 'Prometheus metrics (text format): queue depths, pool counts, requests, batches',
    description:
      'Public like /health (scrapers carry no key); labels name no tenant. Queue and pool gauges are read from Redis at each scrape; while Redis is down they are left out and `fleet_metrics_collect_errors_total` counts it.',
    tag: 'health',
    access: 'public',
    ok: { status: 200, description: 'Prometheus text exposition format 0.0.4.', text: true },
  },
  {
    method: 'post',
    path: '/v1/batches',
    operationId: 'createBatch',
    summary: 'Submit a batch',
    tag: 'batches',
    access: 'key',
    description:
      'Enqueues one job per item. With `Idempotency-Key`, the same key and body within 24 h answer the first batch (header `Idempotent-Replayed: true`), never a second one.',
    body: { schema: 'CreateBatchBody', required: true },
    headers: [
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$' },
      },
    ],
    ok: { status: 202, description: 'Accepted: the batch and its links.', schema: 'BatchView' },
    errors: {
      400: ['BATCH_TOO_LARGE', 'UNKNOWN_POOL', 'INVALID_ARGUMENT', 'INVALID_IDEMPOTENCY_KEY'],
      409: ['IDEMPOTENCY_KEY_REUSED', 'SUBMIT_IN_PROGRESS'],
    },
  },
  {
    method: 'get',
    path: '/v1/batches',
    operationId: 'listBatches',
    summary: 'List batches (newest first; a user key sees its own)',
    tag: 'batches',
    access: 'key',
    query: pageQuerySchema,
    ok: { status: 200, description: 'A page of batches.', schema: 'BatchPage' },
  },
  {
    method: 'get',
    path: '/v1/batches/:id',
    operationId: 'getBatch',
    summary: 'A batch and its progress',
    tag: 'batches',
    access: 'key',
    params: batchParams,
    ok: { status: 200, description: 'The batch.', schema: 'BatchView' },
    errors: { 404: ['BATCH_NOT_FOUND'] },
  },
  {
    method: 'get',
    path: '/v1/batches/:id/items',
    operationId: 'listBatchItems',
    summary: "A batch's items, by index",
    tag: 'batches',
    access: 'key',
    params: batchParams,
    query: itemsQuerySchema,
    ok: { status: 200, description: 'A page of items.', schema: 'ItemPage' },
    errors: { 404: ['BATCH_NOT_FOUND'] },
  },
  {
    method: 'post',
    path: '/v1/batches/:id/cancel',
    operationId: 'cancelBatch',
    summary: 'Cancel a batch',
    tag: 'batches',
    access: 'key',
    params: batchParams,
    description: 'Queued items are removed; running items are aborted in the workers that run them.',
    ok: { status: 200, description: 'The cancelled batch.', schema: 'CancelledBatch' },
    errors: { 404: ['BATCH_NOT_FOUND'], 409: ['BATCH_FINISHED'] },
  },
  {
    method: 'get',
    path: '/v1/artifacts/:id',
    operationId: 'getArtifact',
    summary: 'A screenshot (owner of its batch only)',
    tag: 'artifacts',
    access: 'key',
    params: { id: 'artifactId' },
    ok: { status: 200, description: 'The PNG.', png: true },
    errors: { 404: ['ARTIFACT_NOT_FOUND'] },
  },
  {
    method: 'post',
    path: '/v1/profiles',
    operationId: 'createProfile',
    summary: 'Register a profile in a pool',
    tag: 'profiles',
    access: 'admin',
    body: { schema: 'CreateProfileBody', required: true },
    ok: { status: 201, description: 'The profile.', schema: 'ProfileView' },
    errors: { 409: ['PROFILE_EXISTS'] },
  },
  {
    method: 'get',
    path: '/v1/profiles',
    operationId: 'listProfiles',
    summary: 'List profiles (state, lease, fence, stats)',
    tag: 'profiles',
    access: 'admin',
    query: profilesQuerySchema,
    ok: { status: 200, description: 'A page of profiles.', schema: 'ProfilePage' },
  },
  {
    method: 'get',
    path: '/v1/profiles/:id',
    operationId: 'getProfile',
    summary: 'A profile',
    tag: 'profiles',
    access: 'admin',
    params: profileParams,
    ok: { status: 200, description: 'The profile.', schema: 'ProfileView' },
    errors: { 404: ['PROFILE_NOT_FOUND'] },
  },
  {
    method: 'patch',
    path: '/v1/profiles/:id',
    operationId: 'patchProfile',
    summary: "Change a profile's tags, folder or proxy",
    tag: 'profiles',
    access: 'admin',
    params: profileParams,
    body: { schema: 'PatchProfileBody', required: true },
    ok: { status: 200, description: 'The profile.', schema: 'ProfileView' },
    errors: { 404: ['PROFILE_NOT_FOUND'] },
  },
  {
    method: 'delete',
    path: '/v1/profiles/:id',
    operationId: 'deleteProfile',
    summary: 'Remove a profile (a leased one only with force=true)',
    tag: 'profiles',
    access: 'admin',
    params: profileParams,
    query: z.strictObject({ force: z.enum(['true', 'false']).optional() }),
    ok: { status: 204, description: 'Removed.' },
    errors: { 404: ['PROFILE_NOT_FOUND'], 409: ['PROFILE_LEASED'] },
  },
  {
    method: 'post',
    path: '/v1/profiles/:id/quarantine',
    operationId: 'quarantineProfile',
    summary: 'Take a profile out of use',
    tag: 'profiles',
    access: 'admin',
    params: profileParams,
    body: { schema: 'QuarantineBody', required: false },
    ok: { status: 200, description: 'The profile.', schema: 'ProfileView' },
    errors: { 404: ['PROFILE_NOT_FOUND'] },
  },
  {
    method: 'post',
    path: '/v1/profiles/:id/release',
    operationId: 'releaseProfile',
    summary: 'End a quarantine',
    tag: 'profiles',
    access: 'admin',
    params: profileParams,
    ok: { status: 200, description: 'The profile.', schema: 'ProfileView' },
    errors: { 404: ['PROFILE_NOT_FOUND'], 409: ['PROFILE_NOT_QUARANTINED'] },
  },
  {
    method: 'post',
    path: '/v1/profiles/import',
    operationId: 'importProfiles',
    summary: "Register the provider's profiles in a pool",
    tag: 'profiles',
    access: 'admin',
    body: { schema: 'ImportProfilesBody', required: true },
    ok: { status: 200, description: 'How many were registered.', schema: 'ImportResult' },
    errors: { 409: ['PROVIDER_NOT_CONFIGURED'] },
  },
  {
    method: 'get',
    path: '/v1/pools',
    operationId: 'listPools',
    summary: 'Profile pools: how many profiles are available, cooling down, leased, quarantined',
    description: 'Counts only (no profile ids), so any key may read them; each pool is counted atomically.',
    tag: 'profiles',
    access: 'key',
    ok: { status: 200, description: 'Every pool, by name.', schema: 'PoolList' },
  },
  {
    method: 'get',
    path: '/v1/keys',
    operationId: 'listKeys',
    summary: 'API keys: names, roles, revoked (never a key)',
    tag: 'keys',
    access: 'admin',
    ok: { status: 200, description: 'The keys.', schema: 'KeyList' },
  },
  {
    method: 'post',
    path: '/v1/keys/:name/revoke',
    operationId: 'revokeKey',
    summary: 'Revoke a key (the API refuses it, notifiers drop its sockets)',
    tag: 'keys',
    access: 'admin',
    params: { name: 'keyName' },
    ok: { status: 200, description: 'Done.', schema: 'KeyChange' },
    errors: { 404: ['KEY_NOT_FOUND'], 409: ['CANNOT_REVOKE_SELF'] },
  },
  {
    method: 'post',
    path: '/v1/keys/:name/restore',
    operationId: 'restoreKey',
    summary: 'Let a revoked key in again',
    tag: 'keys',
    access: 'admin',
    params: { name: 'keyName' },
    ok: { status: 200, description: 'Done.', schema: 'KeyChange' },
    errors: { 404: ['KEY_NOT_FOUND'] },
  },
];
