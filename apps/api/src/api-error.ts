import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { zodDetails } from '@fleet/contracts';
import { isFleetError } from '@fleet/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { z } from 'zod';

export type Detail = Record<string, unknown>;

/** An answer other than 2xx: a status, a stable code, a message that says what to fix. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details: Detail[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const unauthorized = (message = 'send "Authorization: Bearer <API key>"') =>
  new ApiError(401, 'UNAUTHORIZED', message);
export const forbidden = (message = 'this needs an admin API key') => new ApiError(403, 'FORBIDDEN', message);
export const notFound = (what: string, id: string) =>
  new ApiError(404, `${what.toUpperCase()}_NOT_FOUND`, `${what} "${id}" was not found`);
export const redisUnavailable = () =>
  new ApiError(503, 'REDIS_UNAVAILABLE', 'the fleet store (Redis) is not reachable: try again shortly', [], {
    'retry-after': '1',
  });

/** `schema.parse` with a 400 that lists every problem. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ApiError(400, 'VALIDATION_FAILED', `the request ${where} is not valid`, zodDetails(parsed.error));
}

/** Fleet domain error codes → HTTP status. Codes not listed are 400 (the caller's input). */
const DOMAIN_STATUS: Record<string, number> = {
  PROFILE_NOT_FOUND: 404,
  UNKNOWN_POOL: 404,
  PROFILE_EXISTS: 409,
  PROFILE_LEASED: 409,
  PROFILE_NOT_QUARANTINED: 409,
};

/** Fastify's own errors → stable codes. */
const FASTIFY_CODES: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'BODY_TOO_LARGE',
    message: 'the request body is too large',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'send the body as application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'INVALID_CONTENT_LENGTH',
    message: 'Content-Length does not match the body',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'INVALID_JSON',
    message: 'the body is empty but Content-Type says JSON',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'INVALID_JSON', message: 'the body is not valid JSON' },
  FST_ERR_CTP_INVALID_CONTENT_TYPE: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'the Content-Type header is not valid',
  },
  FST_ERR_BAD_URL: { status: 400, code: 'BAD_URL', message: 'the URL is not valid' },
  FST_ERR_MAX_PARAM_LENGTH: {
    status: 414,
    code: 'PATH_TOO_LONG',
    message: 'a segment of the path is too long',
  },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'BAD_REQUEST', message: 'the request is not valid' },
};

const REDIS_DOWN =
  /Stream isn't writeable|Connection is closed|Command timed out|ECONNREFUSED|ECONNRESET|MaxRetriesPerRequest|Redis was not ready|EPIPE/;

function isRedisOutage(error: unknown, redis: Redis): boolean {
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
    known
      ? new ApiError(known.status, known.code, known.message)
      : new ApiError(400, 'BAD_REQUEST', 'the request is not valid'),
  );
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses (malformed HTTP, headers over
 * the size limit, a request too slow to arrive) never becomes a request; it is answered here in
 * the one shape, and the connection is closed (as Fastify's default handler does).
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', 'the request line and headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'the request took too long to arrive']
        : [400, 'BAD_REQUEST', 'the request is not valid HTTP'];
  if (socket.writable) {
    const body = JSON.stringify({ error: { code, message, details: [] } });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply
    .status(error.statusCode)
    .send({ error: { code: error.code, message: error.message, details: error.details } });
}

/** Every error answer has the one shape `{error: {code, message, details}}`; no stack, no secret. */
export function installErrorHandling(app: FastifyInstance, redis: Redis): void {
  app.setErrorHandler((error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof ApiError) return sendError(reply, error);
    if (isFleetError(error)) {
      // Fatal: the server's configuration (e.g. SECRET_KEY_MISSING), never the caller's input.
      const status =
        DOMAIN_STATUS[error.code] ?? (error.kind === 'retryable' ? 503 : error.kind === 'fatal' ? 500 : 400);
      if (error.kind === 'fatal') request.log.error({ code: error.code }, error.message);
      return sendError(reply, new ApiError(status, error.code, error.message, error.details as Detail[]));
    }
    const code = (error as FastifyError).code;
    const known = code ? FASTIFY_CODES[code] : undefined;
    if (known) return sendError(reply, new ApiError(known.status, known.code, known.message));
    const status = (error as FastifyError).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return sendError(reply, new ApiError(status, 'BAD_REQUEST', 'the request is not valid'));
    }
    if (isRedisOutage(error, redis)) {
      request.log.warn({ err: { name: error.name, message: error.message } }, 'Redis unavailable');
      return sendError(reply, redisUnavailable());
    }
    request.log.error({ err: error }, 'request failed');
    return sendError(
      reply,
      new ApiError(500, 'INTERNAL', 'the server failed to answer; the error is logged'),
    );
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new ApiError(404, 'ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
    ),
  );
}
