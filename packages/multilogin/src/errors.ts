import {
  FatalError,
  type FleetError,
  NonRetryableError,
  ProfileFaultError,
  ProviderUnreachableError,
  RetryableError,
} from '@fleet/core';

/**
 * The one place where the provider's answers and got's failures become Fleet's domain errors.
 * Each error keeps what the provider said in `details[0]`: `providerCode` (the envelope's
 * `error_code`), `httpStatus`, `operation`, `method` and `url` (no query, no headers, no body).
 *
 * got's own errors are never attached as `cause`: they carry `options` (the Authorization header,
 * the sign-in body with the password digest) and `request`/`response`. The cause is rebuilt as a
 * plain Error with got's name, code and message only.
 */

export const AUTH_FAILED = 'MULTILOGIN_AUTH_FAILED';

/** Where a failure happened, for messages and details. */
export interface CallContext {
  operation: string;
  method: string;
  /** Base URL of the service called (API or launcher), as configured. */
  baseUrl: string;
  /** Which service: the words differ in messages and in the setting to check. */
  service: 'api' | 'launcher';
  path: string;
  /** Removes known secrets from text that came from outside (envelope messages, got messages). */
  scrub: (text: string) => string;
}

export interface EnvelopeStatus {
  error_code?: unknown;
  http_code?: unknown;
  message?: unknown;
}

const SETTING = { api: 'MULTILOGIN_API_URL', launcher: 'MULTILOGIN_LAUNCHER_URL' } as const;
const WHO = { api: 'the Multilogin API', launcher: 'the Multilogin launcher' } as const;

function detail(ctx: CallContext, extra: Record<string, unknown>, message: string) {
  return {
    message,
    provider: 'multilogin',
    operation: ctx.operation,
    method: ctx.method,
    url: `${ctx.baseUrl}${ctx.path}`,
    ...extra,
  };
}

/** What the provider said, scrubbed: `searchProfiles: HTTP 404 PROFILE_NOT_FOUND "..."`. */
export function describeAnswer(ctx: CallContext, httpStatus: number, status: EnvelopeStatus | undefined) {
  const providerCode = typeof status?.error_code === 'string' ? status.error_code.trim() : '';
  const providerMessage = ctx.scrub(typeof status?.message === 'string' ? status.message : '');
  const said = `${ctx.operation}: HTTP ${httpStatus}${providerCode ? ` ${providerCode}` : ''}${
    providerMessage ? ` "${providerMessage}"` : ''
  }`;
  return { providerCode, providerMessage, said };
}

/** An error answer of the provider (an envelope with `error_code`, or a bare HTTP status). */
export function errorFromAnswer(
  ctx: CallContext,
  httpStatus: number,
  status: EnvelopeStatus | undefined,
  retryAfterMs?: number,
): FleetError {
  const { providerCode, providerMessage, said } = describeAnswer(ctx, httpStatus, status);
  const upper = providerCode.toUpperCase();
  const details = [detail(ctx, { httpStatus, providerCode, providerMessage }, said)];

  if (upper === 'CORE_DOWNLOADING_STARTED' || upper === 'CORE_DOWNLOADING_ALREADY_STARTED') {
    return new RetryableError(
      'PROVIDER_CORE_DOWNLOADING',
      `${WHO[ctx.service]} is downloading a browser core (${said}): start the profile again after a pause`,
      { details, retryAfterMs },
    );
  }
  if (upper === 'PROFILE_ALREADY_RUNNING') {
    return new RetryableError(
      'PROFILE_ALREADY_RUNNING',
      `the profile is already running (${said}): stop it, then start it again`,
      { details },
    );
  }
  if (upper.includes('LOCK_PROFILE') || upper === 'PROFILE_LOCKED') {
    return new ProfileFaultError(
      'PROFILE_LOCKED',
      `the profile is locked, e.g. by a crashed session (${said}): quarantine it and unlock it in Multilogin`,
      { details },
    );
  }
  if (upper.includes('PROXY')) {
    return new ProfileFaultError(
      'PROFILE_PROXY_FAILED',
      `the profile's proxy does not work (${said}): quarantine the profile and check its proxy`,
      { details },
    );
  }
  if (httpStatus === 401 || httpStatus === 403) return authFailedError(ctx, said);
  if (httpStatus === 429) {
    return new RetryableError(
      'PROVIDER_RATE_LIMITED',
      `${WHO[ctx.service]} is rate limiting (${said}): retry later`,
      {
        details,
        retryAfterMs,
      },
    );
  }
  if (httpStatus >= 500) {
    return new RetryableError('PROVIDER_SERVER_ERROR', `${WHO[ctx.service]} failed (${said}): retry later`, {
      details,
      retryAfterMs,
    });
  }
  // Any other refusal (4xx, or an error_code on a 2xx): the request itself is wrong.
  const code = /^[A-Z][A-Z0-9_]*$/.test(upper) ? upper : `PROVIDER_HTTP_${httpStatus}`;
  return new NonRetryableError(code, `${WHO[ctx.service]} refused ${said}: fix the request`, { details });
}

/** Credentials refused even after one fresh sign-in: nothing but a configuration change helps. */
export function authFailedError(ctx: CallContext, why: string): FatalError {
  return new FatalError(
    AUTH_FAILED,
    `Multilogin refused the credentials (${why}): check MULTILOGIN_EMAIL/MULTILOGIN_PASSWORD or MULTILOGIN_AUTOMATION_TOKEN`,
    { details: [detail(ctx, {}, why)] },
  );
}

/** A 2xx whose body is not the documented envelope, or lacks what the call needs. */
export function badAnswerError(ctx: CallContext, httpStatus: number, why: string): NonRetryableError {
  const message = `${WHO[ctx.service]} answered ${ctx.operation} with HTTP ${httpStatus} but ${why}: is ${SETTING[ctx.service]} pointing at Multilogin or the Fleet launcher?`;
  return new NonRetryableError('PROVIDER_BAD_ANSWER', message, {
    details: [detail(ctx, { httpStatus }, why)],
  });
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const DROPPED = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);
const TLS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A request that got no HTTP answer at all (got's RequestError, TimeoutError, ReadError...). */
export function errorFromTransport(ctx: CallContext, error: unknown): FleetError {
  const code =
    typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : '';
  const name = error instanceof Error ? error.name : 'Error';
  const text = ctx.scrub(error instanceof Error ? error.message : String(error));
  const cause = safeCause(name, code, text);
  const details = [detail(ctx, { errorCode: code }, text)];
  const where = `${WHO[ctx.service]} at ${ctx.baseUrl}`;

  // No connection was made (refused, no route, or none within the connect timeout: a host cut
  // off answers nothing at all): the host is the trouble, and the provider provably did nothing.
  const connectTimeout = name === 'TimeoutError' && (error as { event?: unknown }).event === 'connect';
  if (UNREACHABLE.has(code) || connectTimeout) {
    const why = connectTimeout ? 'no connection within the connect timeout' : code;
    return new ProviderUnreachableError(
      originOf(ctx.baseUrl),
      `${where} is not reachable (${why}): is it running, is its host up? check ${SETTING[ctx.service]}`,
      { cause, details },
    );
  }
  if (name === 'TimeoutError' || code === 'ETIMEDOUT') {
    return new RetryableError(
      'PROVIDER_TIMEOUT',
      `${where} did not answer ${ctx.operation} in time (${text}): retry later`,
      { cause, details },
    );
  }
  if (DROPPED.has(code) || name === 'ReadError') {
    return new RetryableError(
      'PROVIDER_CONNECTION_LOST',
      `the connection to ${where} broke during ${ctx.operation} (${code || text}): retry later`,
      { cause, details },
    );
  }
  if (TLS.has(code)) {
    return new FatalError(
      'PROVIDER_TLS_FAILED',
      `${where} presented a certificate that does not verify (${code}): if it is the launcher's self-signed certificate, set MULTILOGIN_TLS_VERIFY=false`,
      { cause, details },
    );
  }
  return new NonRetryableError('PROVIDER_REQUEST_FAILED', `${ctx.operation} to ${where} failed: ${text}`, {
    cause,
    details,
  });
}

/** The URL's scheme, host and port (no credentials, no path): how a provider host is named. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** got's name, code and message, without its options, request, response or timings. */
function safeCause(name: string, code: string, message: string): Error {
  const cause = new Error(message);
  cause.name = name;
  if (code) (cause as Error & { code?: string }).code = code;
  return cause;
}
