import { ERRORS, type ErrorCode } from '@fleet/contracts';
import { OPERATIONS, type OperationSpec } from './openapi-operations.js';
import { componentSchemas, type JsonSchema, PATH_PARAMS, queryParameters, ref } from './openapi-schemas.js';

const STATUS_TEXT: Record<number, string> = {
  400: 'The request is not valid',
  401: 'No valid API key',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  413: 'Body too large',
  415: 'Not JSON',
  429: 'Rate limited (see Retry-After)',
  503: 'Redis unreachable (see Retry-After)',
};

/** An artifact's bytes, with the type it was stored with: the ones Fleet stores, and any upload. */
const ARTIFACT_CONTENT = Object.fromEntries(
  ['image/png', 'text/html', 'text/plain', 'application/octet-stream'].map((type) => [
    type,
    { schema: { type: 'string', contentMediaType: type } },
  ]),
);

/** A streamed export: JSON Lines of ItemView, or CSV. */
const EXPORT_CONTENT = {
  'application/x-ndjson': {
    schema: {
      type: 'string',
      contentMediaType: 'application/x-ndjson',
      description: 'One ItemView per line.',
    },
  },
  'text/csv': { schema: { type: 'string', contentMediaType: 'text/csv' } },
};

/** `/v1/batches/:id` → `/v1/batches/{id}`. */
export function openApiPath(fastifyPath: string): string {
  return fastifyPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** What a route answers when the resource its path names is not there (or not this key's to see). */
const NOT_FOUND: Record<keyof typeof PATH_PARAMS, ErrorCode> = {
  batchId: 'BATCH_NOT_FOUND',
  itemIndex: 'ITEM_NOT_FOUND',
  artifactId: 'ARTIFACT_NOT_FOUND',
  profileId: 'PROFILE_NOT_FOUND',
  keyName: 'KEY_NOT_FOUND',
  webhookId: 'WEBHOOK_NOT_FOUND',
  scheduleId: 'SCHEDULE_NOT_FOUND',
  siteHost: 'SITE_RULE_NOT_FOUND',
};

/** The codes an operation answers, by their registry status: the common ones, then its own. */
function errorCodes(op: OperationSpec): Map<number, ErrorCode[]> {
  const wanted: ErrorCode[] = [];
  if (op.body || op.params || op.query) wanted.push('VALIDATION_FAILED');
  if (op.body) wanted.push('INVALID_JSON', 'BODY_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE');
  if (op.access !== 'public') wanted.push('UNAUTHORIZED', 'RATE_LIMITED', 'REDIS_UNAVAILABLE');
  if (op.access === 'admin') wanted.push('FORBIDDEN');
  for (const param of Object.values(op.params ?? {})) wanted.push(NOT_FOUND[param]);
  wanted.push(...(op.errors ?? []));
  const codes = new Map<number, ErrorCode[]>();
  for (const code of new Set(wanted)) {
    const status = ERRORS[code].status;
    codes.set(status, [...(codes.get(status) ?? []), code]);
  }
  return new Map([...codes].sort(([a], [b]) => a - b));
}

function operation(op: OperationSpec): JsonSchema {
  const parameters: JsonSchema[] = [
    ...Object.entries(op.params ?? {}).map(([name, param]) => ({
      name,
      in: 'path',
      required: true,
      ...PATH_PARAMS[param],
    })),
    ...(op.query ? queryParameters(op.query) : []),
    ...(op.headers ?? []),
  ];
  const responses: Record<string, JsonSchema> = {
    [op.ok.status]: {
      description: op.ok.description,
      ...(op.ok.schema ? { content: { 'application/json': { schema: ref(op.ok.schema) } } } : {}),
      ...(op.ok.artifact ? { content: ARTIFACT_CONTENT } : {}),
      ...(op.ok.text ? { content: { 'text/plain': { schema: { type: 'string' } } } } : {}),
      ...(op.ok.export ? { content: EXPORT_CONTENT } : {}),
    },
  };
  for (const [status, codes] of errorCodes(op)) {
    responses[status] = {
      description: `${STATUS_TEXT[status] ?? 'Error'}: ${codes.map((c) => `\`${c}\``).join(', ')}`,
      'x-error-codes': codes,
      ...(status === 429 || status === 503
        ? { headers: { 'Retry-After': { schema: { type: 'integer' } } } }
        : {}),
      content: { 'application/json': { schema: ref('ErrorBody') } },
    };
  }
  return {
    operationId: op.operationId,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.tag],
    ...(op.access === 'public' ? { security: [] } : {}),
    ...(op.access === 'admin' ? { 'x-admin-only': true } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: op.body.required,
            content: { 'application/json': { schema: ref(op.body.schema) } },
          },
        }
      : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of the API, generated from the zod contracts. */
export function buildOpenApiDocument(): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const op of OPERATIONS) {
    const path = openApiPath(op.path);
    paths[path] = { ...paths[path], [op.method]: operation(op) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Fleet API',
      version: '1.0.0',
      description:
        'Batches of browser automation over a fleet of browser profiles. Every route except /health, /ready and /metrics needs `Authorization: Bearer <API key>`; profile and key routes need an admin key. Every error answers `{"error": {"code", "message", "details"}}` with a stable code. Bodies are JSON only; unknown fields are refused.',
    },
    tags: [
      { name: 'batches', description: 'Submit, watch and cancel batches.' },
      { name: 'scenarios', description: 'Code scenarios the workers advertise (SCENARIOS_DIR).' },
      { name: 'artifacts', description: 'Screenshots taken by items.' },
      { name: 'profiles', description: 'The profile pools (admin; pool counts: any key).' },
      { name: 'keys', description: 'API keys (admin).' },
      { name: 'webhooks', description: 'Signed webhooks: registered per key (admin), deliveries per batch.' },
      {
        name: 'sites',
        description: 'Politeness per site (admin): at most N items at once and a delay between starts.',
      },
      {
        name: 'schedules',
        description: 'Scheduled batches: a batch submitted on a cron pattern or every N ms.',
      },
      { name: 'health', description: 'Liveness and readiness.' },
    ],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key from FLEET_API_KEYS.' },
      },
      schemas: componentSchemas(),
    },
  };
}
