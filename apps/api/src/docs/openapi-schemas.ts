import { ROLES } from '@fleet/auth';
import {
  batchErrorsSchema,
  batchIdSchema,
  batchPageSchema,
  batchViewSchema,
  createBatchBodySchema,
  createProfileBodySchema,
  createScheduleBodySchema,
  createWebhookBodySchema,
  deliveryViewSchema,
  errorBodySchema,
  fleetEventSchema,
  importProfilesBodySchema,
  itemPageSchema,
  itemViewSchema,
  patchProfileBodySchema,
  perSiteSchema,
  profileViewSchema,
  quarantineBodySchema,
  scenarioListSchema,
  scheduleIdSchema,
  scheduleViewSchema,
  stepSchema,
  webhookViewSchema,
} from '@fleet/contracts';
import { z } from 'zod';
import { batchPriorityBodySchema } from '../routes/priority-route.js';

/** An admin's rule for one site, and how many items run on it and wait for it now (`/v1/admin/sites`). */
const siteRuleViewSchema = z.strictObject({
  host: z.string(),
  rule: perSiteSchema,
  running: z.number().int(),
  /** Items told to wait for the site, not started since. */
  waiting: z.number().int(),
});

export type JsonSchema = Record<string, unknown>;

/**
 * A zod contract as JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1). Request bodies use
 * the `input` side (defaulted fields optional, what a client sends), answers the `output` side.
 */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const generated = z.toJSONSchema(schema, { io, unrepresentable: 'any', metadata: shared }) as JsonSchema;
  const { $schema: _dialect, $defs, ...rest } = generated;
  const { Step: step, ...defs } = ($defs ?? {}) as Record<string, JsonSchema>;
  // The step schema is recursive (then/else/do hold steps): it lives once, as components.schemas.Step,
  // and every nested list (and every body holding steps) refers to it there.
  const { id: _id, ...root } = schema === stepSchema && step ? step : rest;
  const out = JSON.parse(
    JSON.stringify(root).replaceAll('"#/$defs/Step"', '"#/components/schemas/Step"'),
  ) as JsonSchema;
  if (Object.keys(defs).length > 0) out.$defs = defs;
  return out;
}

/** Schemas generated once under their own name (`$defs` → components.schemas). */
const shared = z.registry<{ id: string }>();
shared.add(stepSchema, { id: 'Step' });

/** Answers the API gives that have no contract of their own (they are only documented here). */
const answers = {
  ProfilePage: z.strictObject({ profiles: z.array(profileViewSchema), nextCursor: z.string().nullable() }),
  CancelledBatch: batchViewSchema.extend({
    /** Queued items removed from the queue; running ones are aborted in their workers. */
    removed: z.number().int(),
  }),
  ImportResult: z.strictObject({
    pool: z.string(),
    registered: z.number().int(),
    existing: z.number().int(),
  }),
  PoolList: z.strictObject({
    pools: z.array(
      z.strictObject({
        pool: z.string(),
        registered: z.number().int(),
        /** Free now (cooldown over). */
        available: z.number().int(),
        /** Free once their cooldown ends. */
        coolingDown: z.number().int(),
        leased: z.number().int(),
        quarantined: z.number().int(),
      }),
    ),
    /** Code scenarios whose items wait because no live worker has them. */
    waitingFor: z
      .array(z.strictObject({ scenario: z.string(), workers: z.number().int(), queued: z.number().int() }))
      .optional(),
    /**
     * Fair share (README "Sharing a fleet"): per API key, its weight and cap, its items waiting
     * (not yet handed to the queue) and running (handed, not finished). A user key sees its own.
     */
    tenants: z
      .array(
        z.strictObject({
          tenant: z.string(),
          weight: z.number(),
          /** 0: no cap. */
          cap: z.number().int(),
          waiting: z.number().int(),
          running: z.number().int(),
        }),
      )
      .optional(),
    /** Admin keys only: sites with an admin's politeness rule, and their items running now. */
    sites: z.array(siteRuleViewSchema).optional(),
    /** Admin keys only: provider hosts (launchers, agents) workers cannot reach now. */
    providersDown: z
      .array(
        z.strictObject({
          /** Its origin, e.g. `http://10.0.0.12:45001`. */
          provider: z.string(),
          /** When a worker first could not reach it. */
          since: z.string(),
          /** The latest call that could not reach it. */
          lastSeenAt: z.string(),
          error: z.string(),
        }),
      )
      .optional(),
  }),
  KeyList: z.strictObject({
    keys: z.array(z.strictObject({ name: z.string(), role: z.enum(ROLES), revoked: z.boolean() })),
  }),
  WebhookCreated: z.strictObject({
    webhook: webhookViewSchema,
    /** Only when this call created the key's signing secret: shown this once. */
    secret: z.string().optional(),
  }),
  WebhookList: z.strictObject({ webhooks: z.array(webhookViewSchema) }),
  WebhookDeleted: z.strictObject({ id: z.string(), deleted: z.literal(true) }),
  SiteRuleView: siteRuleViewSchema,
  SiteRuleList: z.strictObject({ sites: z.array(siteRuleViewSchema) }),
  SiteRuleDeleted: z.strictObject({ host: z.string(), deleted: z.literal(true) }),
  BatchPriority: z.strictObject({
    id: z.string(),
    priority: z.number().int().nullable(),
    /** Items moved: pending ones (fair share), or jobs waiting in BullMQ (without it). */
    reordered: z.number().int(),
  }),
  WebhookSecret: z.strictObject({ key: z.string(), secret: z.string() }),
  DeliveryList: z.strictObject({ deliveries: z.array(deliveryViewSchema) }),
  ScheduleView: scheduleViewSchema,
  ScheduleList: z.strictObject({ schedules: z.array(scheduleViewSchema) }),
  ScheduleDeleted: z.strictObject({ id: z.string(), deleted: z.literal(true) }),
  KeyChange: z.strictObject({ name: z.string(), revoked: z.boolean(), changed: z.boolean() }),
  DeletedBatch: z.strictObject({
    id: z.string(),
    deleted: z.literal(true),
    /** Artifacts removed from disk with it. */
    artifactsRemoved: z.number().int(),
  }),
  Health: z.strictObject({ status: z.literal('ok') }),
  Ready: z.strictObject({ status: z.literal('ready') }),
  QueueDemand: z.strictObject({
    waiting: z.number().int().describe("Items ready to run (BullMQ's wait list)."),
    prioritized: z.number().int().describe('Items ready to run of batches with a priority.'),
    delayed: z
      .number()
      .int()
      .describe('Items due later: retry backoff, or handed back for want of a free profile.'),
    active: z.number().int().describe('Items running now.'),
    profiles: z
      .number()
      .int()
      .describe("Profiles that can run an item (every pool's, less the quarantined)."),
    demand: z
      .number()
      .int()
      .describe('waiting + prioritized + delayed + active, at most `profiles`: the worker slots wanted.'),
  }),
};

/** Request bodies: the schemas the routes parse their bodies with. */
export const REQUEST_BODIES = {
  CreateBatchBody: createBatchBodySchema,
  CreateProfileBody: createProfileBodySchema,
  PatchProfileBody: patchProfileBodySchema,
  ImportProfilesBody: importProfilesBodySchema,
  QuarantineBody: quarantineBodySchema,
  CreateWebhookBody: createWebhookBodySchema,
  CreateScheduleBody: createScheduleBodySchema,
  SiteRuleBody: perSiteSchema,
  BatchPriorityBody: batchPriorityBodySchema,
} satisfies Record<string, z.ZodType>;
export type RequestBodyName = keyof typeof REQUEST_BODIES;

/** Answers, the error body, and the step and event shapes clients build or receive. */
export const ANSWERS = {
  BatchView: batchViewSchema,
  BatchPage: batchPageSchema,
  ItemView: itemViewSchema,
  ItemPage: itemPageSchema,
  BatchErrors: batchErrorsSchema,
  ProfileView: profileViewSchema,
  ScenarioList: scenarioListSchema,
  ...answers,
  ErrorBody: errorBodySchema,
  /** Delivered by the notifier (Socket.IO), not by this API; listed for clients. */
  FleetEvent: fleetEventSchema,
} satisfies Record<string, z.ZodType>;
export type AnswerName = keyof typeof ANSWERS;

export type ComponentName = RequestBodyName | AnswerName | 'Step';

export const ref = (name: ComponentName) => ({ $ref: `#/components/schemas/${name}` });

/** `components.schemas`, each generated from its zod schema. */
export function componentSchemas(): Record<ComponentName, JsonSchema> {
  const schemas = {} as Record<ComponentName, JsonSchema>;
  for (const [name, schema] of Object.entries(REQUEST_BODIES)) {
    schemas[name as RequestBodyName] = jsonSchemaOf(schema, 'input');
  }
  schemas.Step = {
    ...jsonSchemaOf(stepSchema, 'input'),
    description: 'One step: an object with exactly one key, its kind.',
  };
  for (const [name, schema] of Object.entries(ANSWERS))
    schemas[name as AnswerName] = jsonSchemaOf(schema, 'output');
  return schemas;
}

/** Path parameters, as the routes check them. */
export const PATH_PARAMS = {
  batchId: {
    schema: jsonSchemaOf(batchIdSchema, 'input'),
    description: 'The batch id (from POST /v1/batches).',
  },
  itemIndex: {
    schema: { type: 'string', pattern: '^\\d{1,9}$' },
    description: "The item's index in its batch, from 0.",
  },
  artifactId: {
    schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{22}$' },
    description: "An artifact id, from an item's `result.artifacts` or `error.evidence`.",
  },
  profileId: {
    schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$' },
    description: 'The profile id.',
  },
  webhookId: {
    schema: { type: 'string', pattern: '^wh_[A-Za-z0-9_-]{1,40}$' },
    description: 'A registered webhook id (from POST /v1/admin/webhooks).',
  },
  scheduleId: {
    schema: jsonSchemaOf(scheduleIdSchema, 'input'),
    description: "A schedule id (its owner's; from POST /v1/schedules).",
  },
  siteHost: {
    schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9.-]*(:\\d{1,5})?$' },
    description:
      'A host as items reach it: lower case, with its port when not the default (shop.example.com, 127.0.0.1:8080).',
  },
  keyName: {
    schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' },
    description: "An API key's name (from FLEET_API_KEYS).",
  },
} satisfies Record<string, { schema: JsonSchema; description: string }>;

/** OpenAPI query parameters from a zod object schema (its input side). */
export function queryParameters(schema: z.ZodType): JsonSchema[] {
  const json = jsonSchemaOf(schema, 'input') as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    schema: property,
  }));
}
