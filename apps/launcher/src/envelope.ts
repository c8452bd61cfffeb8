import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * Every answer is Multilogin's envelope: `{status:{error_code,http_code,message},data}`; an empty
 * `error_code` means success and errors carry `data: null`. The codes below are the whole list the
 * launcher answers with; each has one HTTP status so clients can map either.
 */
export const ERROR_CODES = {
  /** Malformed JSON, a missing or wrongly typed field: the message names the field. */
  BAD_REQUEST: 400,
  /** Sign-in refused: wrong email or password (the password must be the MD5 hex of the real one). */
  INVALID_CREDENTIALS: 401,
  /** Missing, malformed, forged or expired Bearer token (or refresh token): sign in again. */
  UNAUTHORIZED: 401,
  PROFILE_NOT_FOUND: 404,
  FOLDER_NOT_FOUND: 404,
  /** No such route. */
  NOT_FOUND: 404,
  /** Start of a profile that is starting or running: stop it first. */
  PROFILE_ALREADY_RUNNING: 400,
  /** A proxy this launcher cannot use (socks5 with credentials): fix the profile's proxy. */
  PROXY_NOT_SUPPORTED: 400,
  /** The profile's proxy does not accept connections: a profile fault (Multilogin's code). */
  GET_PROXY_CONNECTION_IP_ERROR: 400,
  /** LAUNCHER_MAX_BROWSERS browsers are running: retry after one stops (Retry-After is sent). */
  MAX_BROWSERS_REACHED: 429,
  /** Chromium or chromedriver did not come up; the profile's status becomes start_browser_error. */
  START_BROWSER_ERROR: 500,
  INTERNAL_ERROR: 500,
  /** The launcher is closing: it starts no more browsers. Retry against the next instance. */
  LAUNCHER_SHUTTING_DOWN: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface Envelope<T> {
  status: { error_code: string; http_code: number; message: string };
  data: T;
}

/** An error the HTTP layer turns into an enveloped answer with its code's status. */
export class LauncherError extends Error {
  override name = 'LauncherError';
  readonly httpCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.httpCode = ERROR_CODES[code];
  }
}

export function success<T>(data: T, message = 'Request processed successfully'): Envelope<T> {
  return { status: { error_code: '', http_code: 200, message }, data };
}

export function failure(code: string, httpCode: number, message: string): Envelope<null> {
  return { status: { error_code: code, http_code: httpCode, message }, data: null };
}

function sendError(reply: FastifyReply, error: LauncherError): FastifyReply {
  return reply
    .code(error.httpCode)
    .headers(error.headers)
    .send(failure(error.code, error.httpCode, error.message));
}

/** Fastify's own errors (bad JSON, unsupported media type, body too large) keep their 4xx status. */
function fromFastifyError(error: { code?: string; statusCode?: number; message: string }): LauncherError {
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return new LauncherError('BAD_REQUEST', `malformed request: ${error.message}`);
  }
  return new LauncherError('INTERNAL_ERROR', 'internal error: see the launcher log');
}

/** Every error and every unknown route answers the envelope; nothing escapes as Fastify's shape. */
export function installEnvelope(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof LauncherError) return sendError(reply, error);
    const mapped = fromFastifyError(error as { code?: string; statusCode?: number; message: string });
    if (mapped.httpCode >= 500) {
      request.log.error({ err: error, url: request.routeOptions.url }, 'request failed');
    }
    return sendError(reply, mapped);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new LauncherError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
    ),
  );
}
