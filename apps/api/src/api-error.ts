import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERRORS, type ErrorCode, errorBody, isErrorCode, zodDetails } from '@fleet/contracts';
import { type FleetError, isFleetError } from '@fleet/core';
import type { FleetRedis } from '@fleet/redis';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';

export type Detail = Record<string, unknown>;

export interface ApiErrorOptions {
  headers?: Record<string, string>;
  /** Only for a framework refusal answered with its own 4xx status (BAD_REQUEST). */
  status?: number;
}

/**
 * An answer other than 2xx: a registered code (its HTTP status comes from the registry in
 * @fleet/contracts), a message that says what to fix (the registry's by default), details.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly statusCode: number;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    message: string = ERRORS[code].message,
    readonly details: Detail[] = [],
    options: ApiErrorOptions = {},
  ) {
    super(message);
    this.statusCode = options.status ?? ERRORS[code].status;
    this.headers = options.headers ?? {};
  }
}

export const unauthorized = (message?: string) => new ApiError('UNAUTHORIZED', message);
export const forbidden = (message?: string) => new ApiError('FORBIDDEN', message);
const NOT_FOUND = {
  batch: 'BATCH_NOT_FOUND',
  item: 'ITEM_NOT_FOUND',
  artifact: 'ARTIFACT_NOT_FOUND',
} as const satisfies Record<string, ErrorCode>;
export const notFound = (what: keyof typeof NOT_FOUND, id: string) =>
  new ApiError(NOT_FOUND[what], `${what} "${id}" was not found`);
export const redisUnavailable = () =>
  new ApiError('REDIS_UNAVAILABLE', undefined, [], { headers: { 'retry-after': '1' } });

/** `schema.parse` with a 400 that lists every problem. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ApiError('VALIDATION_FAILED', `the request ${where} is not valid`, zodDetails(parsed.error));
}

/**
 * A domain error's status: the registry's for a registered code; for a code the registry does not
 * name (a provider's own refusal passed through), by its kind — retryable 503, fatal 500, else 400.
 */
function fleetErrorStatus(error: FleetError): number {
  if (isErrorCode(error.code)) return ERRORS[error.code].status;
  return error.kind === 'retryable' ? 503 : error.kind === 'fatal' ? 500 : 400;
}

/** Fastify's own errors → our codes (statuses from the registry), with messages of their own. */
const FASTIFY_CODES: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'BODY_TOO_LARGE', message: 'the request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'send the body as application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'INVALID_CONTENT_LENGTH',
    message: 'Content-Length does not match the body',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'INVALID_JSON',
    message: 'the body is empty but Content-Type says JSON',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'INVALID_JSON', message: 'the body is not valid JSON' },
  FST_ERR_CTP_INVALID_CONTENT_TYPE: {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'the Content-Type header is not valid',
  },
  FST_ERR_BAD_URL: { code: 'BAD_URL', message: 'the URL is not valid' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'PATH_TOO_LONG', message: 'a segment of the path is too long' },
  FST_ERR_ASYNC_CONSTRAINT: { code: 'BAD_REQUEST', message: 'the request is not valid' },
};

/** A Fastify error as ours: a known code, or BAD_REQUEST with the framework's own 4xx status. */
function fastifyAnswer(error: FastifyError): ApiError | null {
  const known = FASTIFY_CODES[error.code];
  if (known) return new ApiError(known.code, known.message);
  const status = error.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ApiError('BAD_REQUEST', 'the request is not valid', [], { status });
  }
  return null;
}

// The last line: a Cluster or Sentinel failing over (no master for a slot yet, an old master now a
// replica, slots being refreshed) is an outage too.
const REDIS_DOWN = new RegExp(
  [
    "Stream isn't writeable|Connection is closed|Command timed out|ECONNREFUSED|ECONNRESET|MaxRetriesPerRequest|Redis was not ready|EPIPE",
    'CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY|LOADING|Failed to refresh slots cache|Too many Cluster redirections',
  ].join('|'),
);

function isRedisOutage(error: unknown, redis: FleetRedis): boolean {
  if (!(error instanceof Error)) return false;
  return REDIS_DOWN.test(`${error.name}: ${error.message}`) || redis.status !== 'ready';
}

/** Deepest JSON body accepted: ours nest a few levels; Bull Board's job data goes to JSON.stringify. */
export const MAX_BODY_DEPTH = 64;

/** Does `value` nest objects or arrays deeper than `limit`? (Iterative: a deep body cannot blow the stack.) */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * Fastify's `frameworkErrors`: the router's own refusals (a path that is not valid %-encoding, a
 * path parameter over `maxParamLength`) never reach the error handler; they get the one shape here.
 */
export function sendFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const known = FASTIFY_CODES[error.code];
  void sendError(
    reply,
    known ? new ApiError(known.code, known.message) : new ApiError('BAD_REQUEST', 'the request is not valid'),
  );
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses (malformed HTTP, headers over
 * the size limit, a request too slow to arrive) never becomes a request; it is answered here in
 * the one shape, and the connection is closed (as Fastify's default handler does).
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, message]: [ErrorCode, string] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? ['HEADERS_TOO_LARGE', 'the request line and headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ['REQUEST_TIMEOUT', 'the request took too long to arrive']
        : ['BAD_REQUEST', 'the request is not valid HTTP'];
  const status = ERRORS[code].status;
  if (socket.writable) {
    const body = JSON.stringify(errorBody(code, message));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply.status(error.statusCode).send(errorBody(error.code, error.message, error.details));
}

/** Every error answer has the one shape `{error: {code, message, details}}`; no stack, no secret. */
export function installErrorHandling(app: FastifyInstance, redis: FleetRedis): void {
  app.setErrorHandler((error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof ApiError) return sendError(reply, error);
    if (isFleetError(error)) {
      // Fatal: the server's configuration (e.g. SECRET_KEY_MISSING), never the caller's input.
      if (error.kind === 'fatal') request.log.error({ code: error.code }, error.message);
      // The code as thrown: a provider's own code passes through, though the registry does not name it.
      return reply
        .status(fleetErrorStatus(error))
        .send({ error: { code: error.code, message: error.message, details: error.details } });
    }
    const framework = fastifyAnswer(error as FastifyError);
    if (framework) return sendError(reply, framework);
    if (isRedisOutage(error, redis)) {
      request.log.warn({ err: { name: error.name, message: error.message } }, 'Redis unavailable');
      return sendError(reply, redisUnavailable());
    }
    request.log.error({ err: error }, 'request failed');
    return sendError(reply, new ApiError('INTERNAL'));
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new ApiError('ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
    ),
  );
}
