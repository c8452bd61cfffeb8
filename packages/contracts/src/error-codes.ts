/**
 * Every error code Fleet answers, records or emits, in one place (Fastify's `lib/errors.js` habit):
 * code → the HTTP status of an answer that carries it, a default message, what to do next, and
 * where it is met. The API's `ApiError`, the notifier's refusals, the worker's item failures and the
 * CLI read it; the README code tables and the OpenAPI error lists are generated from it
 * (`pnpm docs:errors`), and a test fails when a code is created anywhere without being listed here.
 *
 * Not listed, on purpose: the launcher's codes (it answers Multilogin X's own envelope codes, a
 * contract copied from Multilogin: packages/multilogin/README.md), and a provider refusal Fleet has
 * no name for, which reaches an item result as the provider's own `error_code` (or
 * `PROVIDER_HTTP_<status>`), answered by the API by its kind
 * (503 retryable, 500 fatal, else 400).
 */

/**
 * Where a code is met, each with its own "when" (a README row):
 * - `api`: an HTTP answer of the API, `{error: {code, message, details}}`;
 * - `connect`: the notifier's handshake refusal (`connect_error`, `err.data.code`);
 * - `subscribe`: the notifier's `{ok: false, error: {code}}` ack to subscribe/unsubscribe;
 * - `health`: the notifier's and worker's own health/metrics HTTP server;
 * - `item`: an item's failed result (`items[].error.code`, `item.failed` events), or what stops
 *   an attempt without a result;
 * - `start`: a process refusing to start.
 */
export const ERROR_SURFACES = ['api', 'connect', 'subscribe', 'health', 'item', 'start'] as const;
export type ErrorSurface = (typeof ERROR_SURFACES)[number];

export interface ErrorSpec {
  /**
   * HTTP status of an answer carrying the code. An item or start code that an API route meets
   * (e.g. a provider error during an import) is answered with it too: 503 for what may pass
   * (retryable), 500 for the server's own fault (fatal), else 400.
   */
  status: number;
  /** The default message: what happened, when the thrower has nothing more precise to say. */
  message: string;
  /** What the caller should do next. */
  hint: string;
  /** Where the code is met, and when (one README row each). */
  where: Partial<Record<ErrorSurface, string>>;
}

const RETRY_SHORTLY = 'retry shortly (an HTTP answer says when, in Retry-After)';
const FIX_REQUEST = 'fix the request as `details` says';
const FIX_STEPS = "fix the batch's steps or the site";
const CHECK_PROVIDER = 'check the launcher/Multilogin (MULTILOGIN_* settings); the item is retried';

export const ERRORS = {
  // ---- the caller's input: 400 ----------------------------------------------------------------
  VALIDATION_FAILED: {
    status: 400,
    message: 'the request is not valid',
    hint: FIX_REQUEST,
    where: {
      api: 'a body, path or query does not match the contract (details: `{field, message}` each); also a body for Bull Board holding a NUL character',
    },
  },
  INVALID_ARGUMENT: {
    status: 400,
    message: 'the arguments are not valid',
    hint: FIX_REQUEST,
    where: {
      api: 'items cannot run as given (a `{{var}}` missing from an item, a filled URL not http/https)',
      subscribe:
        'not exactly `{batchId, lastEventId?}` or `{all: true}` (unknown fields refused; `batchId`: 1-64 of `A-Za-z0-9_-`; `lastEventId`: a stream id `<ms>-<seq>`); `details` names the field',
    },
  },
  INVALID_JSON: {
    status: 400,
    message: 'the body is not valid JSON',
    hint: 'send one JSON value, nested at most 64 levels',
    where: { api: 'the body is not JSON, or nests deeper than 64 levels' },
  },
  BATCH_TOO_LARGE: {
    status: 400,
    message: 'the batch has too many items',
    hint: 'split it into several batches',
    where: { api: 'more than `MAX_BATCH_ITEMS` items' },
  },
  UNKNOWN_POOL: {
    // 400, not 404: the pool is named in the body the caller sent, no resource of the URL is missing.
    status: 400,
    message: 'the pool has no registered profiles',
    hint: 'register profiles in the pool first (POST /v1/profiles or /v1/profiles/import)',
    where: { api: 'no profile is registered in the pool' },
  },
  SCENARIO_UNKNOWN: {
    // 400 like UNKNOWN_POOL: the scenario is named in the body, no resource of the URL is missing.
    status: 400,
    message: 'no worker has advertised that scenario',
    hint: 'deploy the scenario with the workers (SCENARIOS_DIR); `GET /v1/scenarios` lists what they have',
    where: { api: 'a batch names a scenario (or a version of it) no worker has advertised' },
  },
  SCENARIO_INPUT_INVALID: {
    status: 400,
    message: "some items do not match the scenario's input schema",
    hint: "fix the items as `details` says (`items[i].field`); `GET /v1/scenarios` shows each scenario's input schema",
    where: {
      api: "an item of a scenario batch does not match the scenario's advertised input schema",
      item: "the scenario's own zod schema refused the input (a check JSON Schema cannot say, e.g. a refine): not retried",
    },
  },
  INVALID_IDEMPOTENCY_KEY: {
    status: 400,
    message: 'Idempotency-Key must be 1-200 printable ASCII characters',
    hint: 'send a shorter key of printable ASCII',
    where: { api: 'the header is not 1-200 printable ASCII characters' },
  },
  BAD_REQUEST: {
    status: 400,
    message: 'the request is not valid',
    hint: 'send well-formed HTTP',
    where: {
      api: "not HTTP that Node's parser accepts (the connection is then closed), or a framework 4xx without a code of ours (its own status)",
    },
  },
  BAD_URL: {
    status: 400,
    message: 'the URL is not valid',
    hint: '%-encode the path',
    where: { api: 'a path that is not valid %-encoding' },
  },
  INVALID_CONTENT_LENGTH: {
    status: 400,
    message: 'Content-Length does not match the body',
    hint: 'send the body whole, with its length',
    where: { api: 'a body shorter or longer than its `Content-Length`' },
  },

  // ---- who is calling: 401, 403 ---------------------------------------------------------------
  UNAUTHORIZED: {
    status: 401,
    message: 'send "Authorization: Bearer <API key>"',
    hint: 'send a valid API key',
    where: {
      api: 'no key, an unknown key, or a revoked key',
      connect: 'no `auth.token`, or one that matches no configured key',
    },
  },
  KEY_REVOKED: {
    status: 401,
    message: 'this API key was revoked',
    hint: 'ask an admin for another key (or to restore this one)',
    where: {
      connect:
        'the key is revoked (and sockets of a key revoked later get `auth.revoked` with this code, then are dropped)',
    },
  },
  FORBIDDEN: {
    status: 403,
    message: 'this needs an admin API key',
    hint: 'use an admin key',
    where: { api: 'a user key on an admin route', subscribe: '`{all: true}` with a user key' },
  },
  CSRF_REJECTED: {
    status: 403,
    message: "the request did not come from this server's own pages",
    hint: 'reload the page and try again, or send "Authorization: Bearer <API key>"',
    where: { api: "a state-changing request with Bull Board's session cookie from another origin" },
  },

  // ---- what is not there: 404 -----------------------------------------------------------------
  BATCH_NOT_FOUND: {
    status: 404,
    message: 'no such batch',
    hint: 'check the id (a user key sees only batches it created)',
    where: {
      api: 'no such batch, or a batch of another tenant (the answer is the same)',
      subscribe:
        'no such batch, **or** a batch of another tenant (a user key sees only batches it created; the answer is the same, so existence is not revealed); admin keys see every batch',
    },
  },
  ITEM_NOT_FOUND: {
    status: 404,
    message: 'the batch has no item with that index',
    hint: 'items are numbered from 0 to total - 1 (GET /v1/batches/:id)',
    where: { api: "no item has that index (it is not below the batch's total)" },
  },
  ARTIFACT_NOT_FOUND: {
    status: 404,
    message: 'no such artifact',
    hint: "check the id (only the batch's owner and admins see it)",
    where: {
      api: 'no such artifact (screenshot, failure evidence), one of a batch this key may not see, or one whose batch has expired',
    },
  },
  PROFILE_NOT_FOUND: {
    status: 404,
    message: 'the profile is not registered',
    hint: 'check the id (GET /v1/profiles)',
    where: { api: 'no profile has that id' },
  },
  KEY_NOT_FOUND: {
    status: 404,
    message: 'no API key has that name',
    hint: 'check the name (GET /v1/keys)',
    where: { api: 'no key has that name' },
  },
  WEBHOOK_NOT_FOUND: {
    status: 404,
    message: 'no such webhook',
    hint: 'check the id (GET /v1/admin/webhooks)',
    where: { api: 'no registered webhook has that id' },
  },
  SITE_RULE_NOT_FOUND: {
    status: 404,
    message: 'no rule for that site',
    hint: 'check the host (GET /v1/admin/sites)',
    where: { api: 'no admin rule is set for that host' },
  },
  ROUTE_NOT_FOUND: {
    status: 404,
    message: 'no such route',
    hint: 'see GET /openapi.json for the routes',
    where: { api: 'no route has that method and path' },
  },
  NOT_FOUND: {
    status: 404,
    message: 'no such route',
    hint: 'the health server answers /health, /ready and /metrics',
    where: { health: 'the notifier and worker health server has no such route' },
  },

  // ---- 408, 409 -------------------------------------------------------------------------------
  REQUEST_TIMEOUT: {
    status: 408,
    message: 'the request took too long to arrive',
    hint: 'send the request faster',
    where: { api: "the request did not arrive within Node's request timeout (5 min)" },
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 409,
    message: 'this Idempotency-Key was used with a different body in the last 24 h',
    hint: 'use a new key',
    where: { api: 'the key was used with another body in the last 24 h' },
  },
  SUBMIT_IN_PROGRESS: {
    status: 409,
    message: 'the first request with this Idempotency-Key is still running',
    hint: RETRY_SHORTLY,
    where: { api: 'a replay arrived while the first request still has not written the batch' },
  },
  SCHEDULE_NOT_FOUND: {
    status: 404,
    message: 'no such schedule',
    hint: 'check the id (`fleet schedules list`; a user key sees only its own schedules)',
    where: { api: 'no such schedule, or a schedule of another key (the answer is the same)' },
  },
  INVALID_SCHEDULE: {
    status: 400,
    message: 'the schedule is not valid',
    hint: 'fix the field named in details: a 5- or 6-field cron pattern (`0 3 * * *`), an IANA timezone (`Europe/Paris`)',
    where: { api: 'a cron pattern that does not parse, or a timezone the runtime does not know' },
  },
  WEBHOOK_SECRET_MISSING: {
    status: 409,
    message: 'this API key has no webhook signing secret',
    hint: 'ask an admin to create one (POST /v1/admin/webhook-secrets/<key name>), then submit again',
    where: { api: 'a batch with a `webhook` from a key that has no signing secret yet' },
  },
  BATCH_FINISHED: {
    status: 409,
    message: 'the batch already finished',
    hint: 'nothing to cancel',
    where: { api: 'cancelling a batch that already finished' },
  },
  BATCH_NOT_FINISHED: {
    status: 409,
    message: 'the batch has not finished',
    hint: 'cancel it first (POST /v1/batches/:id/cancel), then delete it',
    where: { api: 'deleting a batch that is still queued or running' },
  },
  PROFILE_EXISTS: {
    status: 409,
    message: 'the profile is already registered',
    hint: 'PATCH it instead, or pick another id',
    where: { api: 'registering a profile id that is registered' },
  },
  PROFILE_LEASED: {
    status: 409,
    message: 'the profile is leased by a worker',
    hint: 'wait for its release, or force the operation (`?force=true`)',
    where: { api: 'deleting a leased profile without `?force=true`' },
  },
  PROFILE_NOT_QUARANTINED: {
    status: 409,
    message: 'the profile is not quarantined',
    hint: 'nothing to release',
    where: { api: 'releasing a profile that is not quarantined' },
  },
  PROVIDER_NOT_CONFIGURED: {
    status: 409,
    message: 'no profile provider is configured',
    hint: 'set MULTILOGIN_* on the API, or register profiles with POST /v1/profiles',
    where: { api: 'importing profiles while the API has no Multilogin settings' },
  },
  CANNOT_REVOKE_SELF: {
    status: 409,
    message: 'a key cannot revoke itself',
    hint: 'revoke it with another admin key',
    where: { api: 'an admin key revoking itself' },
  },
  TOO_MANY_SUBSCRIPTIONS: {
    status: 409,
    message: 'the socket watches as many batches as it may',
    hint: 'unsubscribe from a batch first, or open another socket',
    where: { subscribe: 'the socket already watches 100 batches' },
  },

  // ---- size and rate: 413-431 -----------------------------------------------------------------
  BODY_TOO_LARGE: {
    status: 413,
    message: 'the request body is too large',
    hint: 'send a smaller body (split the batch)',
    where: { api: 'the body exceeds `API_BODY_LIMIT_BYTES`' },
  },
  PATH_TOO_LONG: {
    status: 414,
    message: 'a segment of the path is too long',
    hint: 'ids are at most 200 characters',
    where: { api: 'a path segment over 200 characters' },
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'send the body as application/json',
    hint: 'send `Content-Type: application/json`',
    where: { api: 'a body that is not `application/json`' },
  },
  RATE_LIMITED: {
    status: 429,
    message: 'too many requests',
    hint: 'retry after Retry-After seconds',
    where: { api: 'over `API_RATE_LIMIT_PER_MINUTE` requests in a minute for one key; with `Retry-After`' },
  },
  HEADERS_TOO_LARGE: {
    status: 431,
    message: 'the request line and headers are too large',
    hint: 'send fewer or shorter headers',
    where: { api: "the request line and headers exceed Node's limit (16 KiB)" },
  },

  // ---- the server: 5xx ------------------------------------------------------------------------
  INTERNAL: {
    status: 500,
    message: 'the server failed to answer; the error is logged',
    hint: "a bug: report it with the time; the server's log has the error",
    where: { api: 'a bug; the error is logged, never sent' },
  },
  METRICS_FAILED: {
    status: 500,
    message: 'the metrics could not be collected',
    hint: "see the worker's log",
    where: { health: "the worker's /metrics could not be collected" },
  },
  REDIS_UNAVAILABLE: {
    status: 503,
    message: 'the fleet store (Redis) is not reachable: try again shortly',
    hint: RETRY_SHORTLY,
    where: {
      api: 'Redis is down or does not answer within `API_REDIS_TIMEOUT_MS`; with `Retry-After: 1`',
      connect: 'Redis does not answer (the revocation check fails closed): try again',
      subscribe: 'Redis does not answer: try again',
      health: '`GET /ready` while Redis does not answer within a second',
    },
  },

  // ---- an item's failure (status: how the API would answer it) ----------------------------------
  BROWSER_UNAVAILABLE: {
    status: 503,
    message: 'no WebDriver session could be had',
    hint: CHECK_PROVIDER,
    where: { item: 'the browser could not be started or reached, or its session was lost (retried)' },
  },
  NAVIGATION_FAILED: {
    status: 503,
    message: 'the page could not be loaded',
    hint: 'check the URL and the profile proxy; the item is retried',
    where: { item: 'a `goto` did not load (network error, timeout) (retried)' },
  },
  TARGET_BLOCKED: {
    status: 400,
    message: 'the target is not allowed',
    hint: 'only public http(s) targets are allowed: see BLOCK_PRIVATE_TARGETS / ALLOWED_TARGETS',
    where: {
      item: 'a `goto` (or a redirect) to a private address or a scheme other than http/https',
      api: "a webhook's URL is a private address or a name resolving to one (WEBHOOK_ALLOWED_TARGETS lets some through)",
    },
  },
  SELECTOR_NOT_FOUND: {
    status: 400,
    message: 'no element matched the selector',
    hint: FIX_STEPS,
    where: { item: "no element matched a step's selector within its timeout" },
  },
  ASSERTION_FAILED: {
    status: 400,
    message: 'an assertion failed',
    hint: FIX_STEPS,
    where: { item: 'an `assertText` step did not hold' },
  },
  SCENARIO_FAILED: {
    status: 400,
    message: 'the scenario failed',
    hint: "the scenario's own check failed (its message starts with the scenario's code): fix the input or the site",
    where: {
      item: 'a code scenario gave up on its own (`ctx.fail(code, message)` or a `ScenarioError`): not retried, the profile is not blamed',
    },
  },
  SCENARIO_UNAVAILABLE: {
    status: 503,
    message: 'the worker does not have the scenario',
    hint: 'deploy the scenario with the workers; the item is retried',
    where: { item: 'a worker took a scenario item it has not loaded (retried)' },
  },
  CHECKPOINT_INVALID: {
    status: 400,
    message: 'a checkpoint could not be written',
    hint: 'fix the scenario: a checkpoint value is JSON of at most 256 KiB',
    where: { item: "a scenario's `ctx.checkpoint(name, value)` value is not JSON or is larger than 256 KiB" },
  },
  STEP_FAILED: {
    status: 400,
    message: 'a step failed',
    hint: FIX_STEPS,
    where: { item: 'a step failed otherwise, or did not finish within its timeout (`step` says which)' },
  },
  STEP_LIMIT_EXCEEDED: {
    status: 400,
    message: 'too many step executions in one attempt',
    hint: "lower the loops' `max` (forEach, paginate) or the steps inside them: at most MAX_EXECUTED_STEPS (5000) per attempt",
    where: {
      item: 'the steps ran more than 5000 step executions in one attempt, loops included (a runaway loop)',
    },
  },
  TAB_NOT_OPENED: {
    status: 400,
    message: 'no new tab opened',
    hint: "check the `tab` step's `click` selector (it must open a new tab or window) or raise its `timeoutMs`",
    where: { item: "a `tab` step's click opened no new tab or window within its timeout" },
  },
  STEP_INPUT_INVALID: {
    status: 400,
    message: "a step's input is not valid",
    hint: "fix the item's variable or the batch's files as the message says",
    where: {
      item: "a step's input only the run could check is wrong: `setCookies.json` is not a JSON list of cookies, a `press` names an unknown key, an `upload` file is not among the batch's files or no longer stored",
    },
  },
  OPTION_NOT_FOUND: {
    status: 400,
    message: 'the select has no such option',
    hint: 'fix the value, label or index (the message lists the options seen)',
    where: {
      item: 'a `select` step found the select but no option with that value, label or index within its timeout',
    },
  },
  EXTRACT_INVALID: {
    status: 400,
    message: 'an extracted value could not be read as asked',
    hint: FIX_STEPS,
    where: {
      item: 'an `extract` with `type: "json"` read text that is not JSON, or `table` found an element that is not a table',
    },
  },
  EVALUATE_FAILED: {
    status: 400,
    message: 'the expression failed in the page',
    hint: "fix the expression (the message has the page's error)",
    where: { item: 'an `evaluate` expression threw (or its Promise rejected) in the page' },
  },
  RESULT_TOO_LARGE: {
    status: 400,
    message: 'a result is too large',
    hint: "return less: pick fields in the expression, extract fewer or shorter values, or lower a loop's `max`",
    where: {
      item: "an `evaluate` result over 64 KiB of JSON, or an item's whole data over 1 MiB of JSON (a code scenario's too, or data that is not a JSON object)",
    },
  },
  DEADLINE_EXCEEDED: {
    status: 400,
    message: "the item's deadline passed",
    hint: 'raise `options.itemTimeoutMs`, or shorten the steps',
    where: { item: 'the item ran past `itemTimeoutMs` (or its deadline passed before it could run)' },
  },
  ABORTED: {
    status: 400,
    message: 'the run was aborted',
    hint: 'nothing: the worker stopped the attempt (shutdown, lost lease, cancel)',
    where: { item: 'the attempt was aborted by the worker; it records nothing by itself' },
  },
  BATCH_CANCELLED: {
    status: 400,
    message: 'the batch was cancelled',
    hint: 'nothing: cancelled items record no result',
    where: { item: "the item's batch was cancelled while it ran: the attempt stops and records nothing" },
  },
  LEASE_LOST: {
    status: 400,
    message: 'the lease on the profile was lost',
    hint: 'nothing: the item is run again under a new lease, without spending an attempt',
    where: { item: 'the attempt lost its profile lease (expired, reclaimed); it stops and records nothing' },
  },
  BATCH_PROXY_MISSING: {
    status: 400,
    message: "the batch's proxy is not in its record",
    hint: 'submit the batch again',
    where: {
      item: 'the batch has a proxy but its record holds none (the batch is gone?): failed without retry',
    },
  },
  BATCH_PROXY_FAILED: {
    status: 503,
    message: "the batch's proxy failed",
    hint: "check the batch's proxy; the item is retried",
    where: { item: "the batch's proxy could not be set on the profile (retried)" },
  },
  UNEXPECTED: {
    status: 503,
    message: 'an attempt failed in a way Fleet has no code for',
    hint: "see the worker's log for the error; the item is retried",
    where: { item: 'an attempt failed with an error no code names (Redis gone, a bug) (retried)' },
  },
  ITEM_STALLED: {
    status: 500,
    message: 'the item stalled more often than allowed',
    hint: 'see the workers: they crashed (or were paused) while running it, on ITEM_MAX_STALLS different hosts',
    where: { item: 'the workers running it kept dying, on several hosts (or too often on a few)' },
  },
  ATTEMPTS_EXHAUSTED: {
    status: 500,
    message: 'the queue gave the item up',
    hint: "see the workers' logs: the attempts failed without recording a result",
    where: { item: 'the queue spent every attempt without one recording a result' },
  },

  // ---- the profile provider (Multilogin X or the launcher) -------------------------------------
  PROVIDER_UNAVAILABLE: {
    status: 503,
    message: 'the provider is not reachable',
    hint: CHECK_PROVIDER,
    where: { item: 'the launcher or Multilogin cannot be reached (retried)' },
  },
  PROVIDER_TIMEOUT: {
    status: 503,
    message: 'the provider did not answer in time',
    hint: CHECK_PROVIDER,
    where: { item: 'the launcher or Multilogin did not answer in time (retried)' },
  },
  PROVIDER_CONNECTION_LOST: {
    status: 503,
    message: 'the connection to the provider broke',
    hint: CHECK_PROVIDER,
    where: { item: 'the connection to the provider broke mid-call (retried)' },
  },
  PROVIDER_RATE_LIMITED: {
    status: 503,
    message: 'the provider is rate limiting',
    hint: 'lower WORKER_CONCURRENCY; the item is retried',
    where: { item: 'the provider answered 429 (retried after its Retry-After)' },
  },
  PROVIDER_SERVER_ERROR: {
    status: 503,
    message: 'the provider failed',
    hint: CHECK_PROVIDER,
    where: { item: 'the provider answered 5xx (retried)' },
  },
  PROVIDER_CORE_DOWNLOADING: {
    status: 503,
    message: 'the provider is downloading a browser core',
    hint: 'wait; the item is retried',
    where: { item: 'the launcher is still downloading the browser core (retried)' },
  },
  PROVIDER_TLS_FAILED: {
    status: 500,
    message: "the provider's certificate does not verify",
    hint: "set MULTILOGIN_TLS_VERIFY=false for the launcher's self-signed certificate, or fix the certificate",
    where: { item: "the provider's TLS certificate does not verify (the worker stops)" },
  },
  PROVIDER_BAD_ANSWER: {
    status: 400,
    message: 'the provider answered something Fleet cannot read',
    hint: 'check that MULTILOGIN_* point at a Multilogin X (or launcher) API',
    where: { item: 'the provider answered a body that is not the Multilogin X shape' },
  },
  PROVIDER_REQUEST_FAILED: {
    status: 400,
    message: 'the call to the provider failed',
    hint: 'check the MULTILOGIN_* URLs',
    where: { item: 'a call to the provider failed in a way no other code names' },
  },
  MULTILOGIN_AUTH_FAILED: {
    status: 500,
    message: 'the provider refused the credentials',
    hint: 'check MULTILOGIN_EMAIL/PASSWORD or MULTILOGIN_AUTOMATION_TOKEN',
    where: { item: 'the provider refused the credentials (the worker stops)' },
  },
  PROFILE_ALREADY_RUNNING: {
    status: 503,
    message: 'the profile is already running',
    hint: 'nothing: the item is retried once the profile is free',
    where: { item: 'the provider says the profile is running elsewhere (retried)' },
  },
  PROFILE_LOCKED: {
    status: 400,
    message: 'the profile is locked by the provider',
    hint: 'unlock the profile in Multilogin; the profile is quarantined, the item retried on another',
    where: { item: 'the provider holds a lock on the profile (profile quarantined, item retried)' },
  },
  PROFILE_NOT_AT_LAUNCHER: {
    status: 400,
    message: "the profile's home launcher does not hold it",
    hint: 'set the profile\'s launcher to the one that holds it (PATCH /v1/profiles/:id {"launcher": "<url>"}); the profile is quarantined, the item retried on another',
    where: { item: "the launcher recorded as the profile's home answered that it has no such profile" },
  },
  PROFILE_PROXY_FAILED: {
    status: 400,
    message: "the profile's proxy failed",
    hint: "fix the profile's proxy; the profile is quarantined, the item retried on another",
    where: { item: "the profile's proxy does not work (profile quarantined, item retried)" },
  },
  PROFILE_FOLDER_MISSING: {
    status: 400,
    message: 'the profile has no provider folder',
    hint: 'PATCH the profile with its folderId',
    where: { item: 'the profile has no Multilogin folder id to start it with' },
  },

  // ---- the server's own configuration ---------------------------------------------------------
  SECRET_KEY_MISSING: {
    status: 500,
    message: 'a stored secret is encrypted and FLEET_SECRET_KEY is not set',
    hint: 'set FLEET_SECRET_KEY, the same on every API and worker',
    where: {
      api: 'a proxy password is given or stored while the API has no `FLEET_SECRET_KEY`',
      item: 'a stored proxy password is encrypted and the worker has no `FLEET_SECRET_KEY` (the worker stops)',
    },
  },
  SECRET_KEY_MISMATCH: {
    status: 500,
    message: 'a stored secret was sealed with another FLEET_SECRET_KEY',
    hint: 'give every API and worker the same FLEET_SECRET_KEY',
    where: {
      api: 'a stored secret was sealed with another `FLEET_SECRET_KEY`',
      item: 'a stored secret was sealed with another `FLEET_SECRET_KEY` (the worker stops)',
    },
  },
  SCRIPT_BAD_REPLY: {
    status: 500,
    message: 'a Redis script answered something unknown',
    hint: 'a bug (or scripts of another version in Redis): report it',
    where: { item: 'a profile-pool script answered a code Fleet does not know' },
  },
  SCENARIO_LOAD_FAILED: {
    status: 500,
    message: 'a scenario module could not be loaded',
    hint: 'fix the module the message names (or SCENARIOS_DIR); the worker exits 2',
    where: {
      start:
        'a worker refuses to start: a module of SCENARIOS_DIR does not load, is not a scenario, or repeats a name@version',
    },
  },
  CONFIG_INVALID: {
    status: 500,
    message: 'the configuration is not valid',
    hint: 'fix every setting the message lists',
    where: { start: 'a process refuses to start: its settings are not valid (every problem listed)' },
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERRORS, code);
}

/** The codes met on one surface, in registry order. */
export function codesOf(surface: ErrorSurface): ErrorCode[] {
  return (Object.keys(ERRORS) as ErrorCode[]).filter((code) => surface in ERRORS[code].where);
}

export interface ErrorAnswer {
  code: ErrorCode;
  message: string;
  details: Record<string, unknown>[];
}

/** The one error body `{error: {code, message, details}}`; the message defaults to the registry's. */
export function errorBody(
  code: ErrorCode,
  message: string = ERRORS[code].message,
  details: Record<string, unknown>[] = [],
): { error: ErrorAnswer } {
  return { error: { code, message, details } };
}
