import {
  type ErrorCode,
  itemsQuerySchema,
  pageQuerySchema,
  profilesQuerySchema,
  resultsQuerySchema,
} from '@fleet/contracts';
import { z } from 'zod';
import type { AnswerName, JsonSchema, PATH_PARAMS, RequestBodyName } from './openapi-schemas.js';

/** One documented route. `path` is spelled as Fastify spells it (`:id`). */
export interface OperationSpec {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag:
    | 'batches'
    | 'scenarios'
    | 'artifacts'
    | 'profiles'
    | 'keys'
    | 'webhooks'
    | 'schedules'
    | 'sites'
    | 'health';
  /** Who may call it: anyone, any key, admin keys. */
  access: 'public' | 'key' | 'admin';
  /** Path parameter name in the URL → a PATH_PARAMS entry. */
  params?: Record<string, keyof typeof PATH_PARAMS>;
  query?: z.ZodType;
  body?: { schema: RequestBodyName; required: boolean };
  headers?: JsonSchema[];
  ok: {
    status: number;
    description: string;
    schema?: AnswerName;
    artifact?: true;
    text?: true;
    /** A streamed export: JSON Lines or CSV. */
    export?: true;
  };
  /**
   * Error codes this operation answers besides the common ones (added from access, body, query and
   * path parameters, a path parameter's not-found code among them); their statuses come from the
   * registry in @fleet/contracts.
   */
  errors?: ErrorCode[];
}

type Route = `${OperationSpec['method']} /${string}`;

/** One operation: `'<method> <path>'`, its id and summary, then the rest of its spec. */
function op(
  route: Route,
  operationId: string,
  summary: string,
  rest: Omit<OperationSpec, 'method' | 'path' | 'operationId' | 'summary'>,
): OperationSpec {
  const [method, path] = route.split(' ') as [OperationSpec['method'], string];
  return { method, path, operationId, summary, ...rest };
}

/** The routes of one batch, one profile, one key: who may call them and their path parameter. */
const onBatch = { tag: 'batches', access: 'key', params: { id: 'batchId' } } as const;
const onProfile = { tag: 'profiles', access: 'admin', params: { id: 'profileId' } } as const;
const onKey = { tag: 'keys', access: 'admin', params: { name: 'keyName' } } as const;
const ownerQuery = z.strictObject({ owner: z.string().max(64).optional() });
const onSchedule = {
  tag: 'schedules',
  access: 'key',
  params: { id: 'scheduleId' },
  query: ownerQuery,
} as const;
const theSchedule = { status: 200, description: 'The schedule.', schema: 'ScheduleView' } as const;
const theProfile = { status: 200, description: 'The profile.', schema: 'ProfileView' } as const;

/** Every route of the API, as the routes in routes/*-routes.ts serve them. */
export const OPERATIONS: OperationSpec[] = [
  op('get /health', 'health', 'The process is alive', {
    tag: 'health',
    access: 'public',
    ok: { status: 200, description: 'Alive.', schema: 'Health' },
  }),
  op('get /ready', 'ready', 'Redis answers', {
    tag: 'health',
    access: 'public',
    errors: ['REDIS_UNAVAILABLE'],
    ok: { status: 200, description: 'Ready.', schema: 'Ready' },
  }),
  op(
    'get /metrics',
    'metrics',
    'Prometheus metrics (text format): queue depths, pool counts, requests, batches',
    {
      description:
        'Public like /health (scrapers carry no key); labels name no tenant. Queue and pool gauges are read from Redis at each scrape; while Redis is down they are left out and `fleet_metrics_collect_errors_total` counts it.',
      tag: 'health',
      access: 'public',
      ok: { status: 200, description: 'Prometheus text exposition format 0.0.4.', text: true },
    },
  ),
  op('get /metrics/queue', 'queueDemand', 'What an autoscaler scales workers on', {
    description:
      "Public like /metrics (counts only). Desired workers = ceil(`demand` ÷ WORKER_CONCURRENCY): deploy/k8s's KEDA ScaledObject reads `demand` with the metrics-api trigger. Counts every items queue (steps and code scenarios); prioritized and delayed items are outside BullMQ's wait list, so a list-length scaler would miss them.",
    tag: 'health',
    access: 'public',
    errors: ['REDIS_UNAVAILABLE'],
    ok: { status: 200, description: 'The counts and the demand.', schema: 'QueueDemand' },
  }),
  op('post /v1/batches', 'createBatch', 'Submit a batch', {
    tag: 'batches',
    access: 'key',
    description:
      'Enqueues one job per item. Either `steps` (items: variables) or `scenario` (`"name"` or `"name@version"`, a code scenario the workers advertise; items: its inputs, each checked against its input schema). With `Idempotency-Key`, the same key and body within 24 h answer the first batch (header `Idempotent-Replayed: true`), never a second one.',
    body: { schema: 'CreateBatchBody', required: true },
    headers: [
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$' },
      },
    ],
    errors: [
      'BATCH_TOO_LARGE',
      'TARGET_BLOCKED',
      'WEBHOOK_SECRET_MISSING',
      'UNKNOWN_POOL',
      'SCENARIO_UNKNOWN',
      'SCENARIO_INPUT_INVALID',
      'INVALID_ARGUMENT',
      'INVALID_IDEMPOTENCY_KEY',
      'IDEMPOTENCY_KEY_REUSED',
      'SUBMIT_IN_PROGRESS',
    ],
    ok: { status: 202, description: 'Accepted: the batch and its links.', schema: 'BatchView' },
  }),
  op('get /v1/batches', 'listBatches', 'List batches (newest first; a user key sees its own)', {
    tag: 'batches',
    access: 'key',
    query: pageQuerySchema,
    ok: { status: 200, description: 'A page of batches.', schema: 'BatchPage' },
  }),
  op('get /v1/batches/:id', 'getBatch', 'A batch and its progress', {
    ...onBatch,
    ok: { status: 200, description: 'The batch.', schema: 'BatchView' },
  }),
  op('get /v1/batches/:id/items', 'listBatchItems', "A batch's items, by index", {
    ...onBatch,
    query: itemsQuerySchema,
    ok: { status: 200, description: 'A page of items.', schema: 'ItemPage' },
  }),
  op(
    'get /v1/batches/:id/results',
    'exportBatchResults',
    "Every item's result, streamed as JSON Lines or CSV",
    {
      ...onBatch,
      query: resultsQuerySchema,
      description:
        'Streamed as the results are read from Redis (500 at a time), so any batch size is fine. JSON Lines (`application/x-ndjson`, the default): one `ItemView` per line, by index, as `/items` shows it. CSV (`text/csv; charset=utf-8`, with `Accept: text/csv` or `format=csv`; `format` wins over Accept, and any other Accept gets JSON Lines): RFC 4180, CRLF, header `index,state,<data names in order of first appearance>,url,title,error_code,error_message,error_path,attempts,duration_ms,finished_at,profile_id,artifacts`; a data name equal to a fixed column is `data.<name>`; strings as they are, other values as JSON, absent ones empty. Sent as an attachment `<batch>.jsonl|csv`. An answer cut short (Redis lost mid-way) ends without its last chunk, so clients see an incomplete transfer.',
      ok: { status: 200, description: 'The items, one per line (CSV: after the header).', export: true },
    },
  ),
  op('get /v1/batches/:id/items/:index', 'getBatchItem', 'One item: its result, or its error with evidence', {
    ...onBatch,
    params: { id: 'batchId', index: 'itemIndex' },
    description:
      "A failed item's `error` names the failed step (`step`, and `path` into nested steps) and its `evidence`: artifact ids of a screenshot, the page's HTML (at most 512 KiB) and the browser console lines, and the URL; `omitted: true` when the batch already kept EVIDENCE_PER_ERROR samples of that error. `links` has their URLs.",
    ok: { status: 200, description: 'The item.', schema: 'ItemView' },
  }),
  op('get /v1/batches/:id/errors', 'getBatchErrors', "A batch's failures by kind, with counts", {
    ...onBatch,
    description:
      "Failures inside steps grouped by signature (code, step path, message with numbers, quoted strings and URLs normalised), most frequent first: the first failure's message, how many failed this way, how many kept full evidence, and the first item ids.",
    ok: { status: 200, description: 'The kinds of failure.', schema: 'BatchErrors' },
  }),
  op('delete /v1/batches/:id', 'deleteBatch', 'Delete a finished or cancelled batch and its artifacts', {
    ...onBatch,
    description:
      "Removes the batch's record, results and counts from Redis and its artifacts (screenshots, failure evidence, uploaded files) from disk at once; a queued or running batch must be cancelled first.",
    errors: ['BATCH_NOT_FINISHED'],
    ok: { status: 200, description: 'Deleted.', schema: 'DeletedBatch' },
  }),
  op('post /v1/batches/:id/cancel', 'cancelBatch', 'Cancel a batch', {
    ...onBatch,
    description: 'Queued items are removed; running items are aborted in the workers that run them.',
    errors: ['BATCH_FINISHED'],
    ok: { status: 200, description: 'The cancelled batch.', schema: 'CancelledBatch' },
  }),
  op('get /v1/scenarios', 'listScenarios', 'Code scenarios the workers advertise', {
    tag: 'scenarios',
    access: 'key',
    description:
      "Each `name@version` a worker loaded from its SCENARIOS_DIR, with its input's JSON Schema and how many live workers have it (0: its batches wait). Scenarios come only from the operators' deployments.",
    ok: {
      status: 200,
      description: 'Every advertised scenario, by name and version.',
      schema: 'ScenarioList',
    },
  }),
  op(
    'get /v1/artifacts/:id',
    'getArtifact',
    'An artifact: screenshot, failure evidence (owner of its batch only)',
    {
      tag: 'artifacts',
      access: 'key',
      params: { id: 'artifactId' },
      description:
        "Served with the type it was stored with. Images (PNG, JPEG, GIF, WebP) and plain text are inline; anything else — a stored page (`text/html`) among them — is an attachment, and every answer has `X-Content-Type-Options: nosniff` and a CSP `sandbox`, so a stored page never runs in the API's origin. Artifacts of a batch go when its record expires.",
      ok: { status: 200, description: 'The bytes, with their stored type.', artifact: true },
    },
  ),
  op('post /v1/profiles', 'createProfile', 'Register a profile in a pool', {
    tag: 'profiles',
    access: 'admin',
    body: { schema: 'CreateProfileBody', required: true },
    errors: ['PROFILE_EXISTS'],
    ok: { status: 201, description: 'The profile.', schema: 'ProfileView' },
  }),
  op('get /v1/profiles', 'listProfiles', 'List profiles (state, lease, fence, stats)', {
    tag: 'profiles',
    access: 'admin',
    query: profilesQuerySchema,
    ok: { status: 200, description: 'A page of profiles.', schema: 'ProfilePage' },
  }),
  op('get /v1/profiles/:id', 'getProfile', 'A profile', {
    ...onProfile,
    ok: theProfile,
  }),
  op('patch /v1/profiles/:id', 'patchProfile', "Change a profile's tags, folder or proxy", {
    ...onProfile,
    body: { schema: 'PatchProfileBody', required: true },
    ok: theProfile,
  }),
  op('delete /v1/profiles/:id', 'deleteProfile', 'Remove a profile (a leased one only with force=true)', {
    ...onProfile,
    query: z.strictObject({ force: z.enum(['true', 'false']).optional() }),
    errors: ['PROFILE_LEASED'],
    ok: { status: 204, description: 'Removed.' },
  }),
  op('post /v1/profiles/:id/quarantine', 'quarantineProfile', 'Take a profile out of use', {
    ...onProfile,
    body: { schema: 'QuarantineBody', required: false },
    ok: theProfile,
  }),
  op('post /v1/profiles/:id/release', 'releaseProfile', 'End a quarantine', {
    ...onProfile,
    errors: ['PROFILE_NOT_QUARANTINED'],
    ok: theProfile,
  }),
  op('post /v1/profiles/import', 'importProfiles', "Register the provider's profiles in a pool", {
    tag: 'profiles',
    access: 'admin',
    body: { schema: 'ImportProfilesBody', required: true },
    errors: ['PROVIDER_NOT_CONFIGURED'],
    ok: { status: 200, description: 'How many were registered.', schema: 'ImportResult' },
  }),
  op(
    'get /v1/pools',
    'listPools',
    'Profile pools: how many profiles are available, cooling down, leased, quarantined',
    {
      tag: 'profiles',
      access: 'key',
      description: 'Counts only (no profile ids), so any key may read them; each pool is counted atomically.',
      ok: { status: 200, description: 'Every pool, by name.', schema: 'PoolList' },
    },
  ),
  op('get /v1/keys', 'listKeys', 'API keys: names, roles, revoked (never a key)', {
    tag: 'keys',
    access: 'admin',
    ok: { status: 200, description: 'The keys.', schema: 'KeyList' },
  }),
  op(
    'post /v1/keys/:name/revoke',
    'revokeKey',
    'Revoke a key (the API refuses it, notifiers drop its sockets)',
    {
      ...onKey,
      errors: ['CANNOT_REVOKE_SELF'],
      ok: { status: 200, description: 'Done.', schema: 'KeyChange' },
    },
  ),
  op('post /v1/keys/:name/restore', 'restoreKey', 'Let a revoked key in again', {
    ...onKey,
    ok: { status: 200, description: 'Done.', schema: 'KeyChange' },
  }),
  op('get /v1/batches/:id/webhooks', 'listDeliveries', "The batch's webhook deliveries and their outcomes", {
    ...onBatch,
    tag: 'webhooks',
    ok: {
      status: 200,
      description: 'Each delivery: state, attempts, last status and error.',
      schema: 'DeliveryList',
    },
  }),
  op('post /v1/admin/webhooks', 'createWebhook', 'Register a webhook for every batch of one key', {
    tag: 'webhooks',
    access: 'admin',
    body: { schema: 'CreateWebhookBody', required: true },
    errors: ['KEY_NOT_FOUND', 'TARGET_BLOCKED'],
    ok: { status: 201, description: 'The webhook (and the new secret, once).', schema: 'WebhookCreated' },
  }),
  op('get /v1/admin/webhooks', 'listWebhooks', 'Registered webhooks (never a secret)', {
    tag: 'webhooks',
    access: 'admin',
    ok: { status: 200, description: 'The webhooks.', schema: 'WebhookList' },
  }),
  op('delete /v1/admin/webhooks/:id', 'deleteWebhook', 'Remove a registered webhook', {
    tag: 'webhooks',
    access: 'admin',
    params: { id: 'webhookId' },
    errors: ['WEBHOOK_NOT_FOUND'],
    ok: { status: 200, description: 'Removed.', schema: 'WebhookDeleted' },
  }),
  op(
    'post /v1/admin/webhook-secrets/:key',
    'rotateWebhookSecret',
    "Create or replace a key's webhook signing secret",
    {
      tag: 'webhooks',
      access: 'admin',
      params: { key: 'keyName' },
      errors: ['KEY_NOT_FOUND'],
      ok: { status: 201, description: 'The secret, shown this once.', schema: 'WebhookSecret' },
    },
  ),
  op(
    'get /v1/admin/sites',
    'listSiteRules',
    "Admins' politeness rules per site, with how many items run on each",
    {
      tag: 'sites',
      access: 'admin',
      ok: { status: 200, description: 'The rules, by host.', schema: 'SiteRuleList' },
    },
  ),
  op('put /v1/admin/sites/:host', 'setSiteRule', 'Set the politeness rule of one site, for every batch', {
    tag: 'sites',
    access: 'admin',
    params: { host: 'siteHost' },
    body: { schema: 'SiteRuleBody', required: true },
    ok: { status: 200, description: 'The rule as set.', schema: 'SiteRuleView' },
  }),
  op(
    'delete /v1/admin/sites/:host',
    'deleteSiteRule',
    "Remove a site's rule (batches' own perSite still apply)",
    {
      tag: 'sites',
      access: 'admin',
      params: { host: 'siteHost' },
      ok: { status: 200, description: 'Removed.', schema: 'SiteRuleDeleted' },
    },
  ),
  op(
    'put /v1/admin/batches/:id/priority',
    'setBatchPriority',
    "Change a running batch's priority (its items not started yet move)",
    {
      tag: 'batches',
      access: 'admin',
      params: { id: 'batchId' },
      body: { schema: 'BatchPriorityBody', required: true },
      errors: ['BATCH_NOT_FOUND'],
      ok: { status: 200, description: 'The new priority and how many items moved.', schema: 'BatchPriority' },
    },
  ),
  op('post /v1/schedules', 'upsertSchedule', 'Create or update (by id) a scheduled batch', {
    tag: 'schedules',
    access: 'key',
    query: ownerQuery,
    body: { schema: 'CreateScheduleBody', required: true },
    errors: ['INVALID_SCHEDULE', 'BATCH_TOO_LARGE', 'UNKNOWN_POOL'],
    ok: {
      status: 201,
      description: 'The schedule (200 when an existing id was updated).',
      schema: 'ScheduleView',
    },
  }),
  op('get /v1/schedules', 'listSchedules', "This key's schedules (an admin's: every key's, or ?owner=)", {
    tag: 'schedules',
    access: 'key',
    query: ownerQuery,
    ok: { status: 200, description: 'The schedules, by id.', schema: 'ScheduleList' },
  }),
  op('get /v1/schedules/:id', 'getSchedule', 'One schedule: timing, next run, runs, last batch or refusal', {
    ...onSchedule,
    ok: theSchedule,
  }),
  op('post /v1/schedules/:id/pause', 'pauseSchedule', 'Stop planning runs (kept; resume plans again)', {
    ...onSchedule,
    ok: theSchedule,
  }),
  op('post /v1/schedules/:id/resume', 'resumeSchedule', 'Plan runs again', {
    ...onSchedule,
    ok: theSchedule,
  }),
  op('delete /v1/schedules/:id', 'deleteSchedule', 'Remove a schedule (its batches stay)', {
    ...onSchedule,
    ok: { status: 200, description: 'Removed.', schema: 'ScheduleDeleted' },
  }),
];
