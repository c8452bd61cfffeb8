import type { ErrorCode } from '@fleet/contracts';

/**
 * A code the API answers (`@fleet/contracts` error registry). Typed as the registry's union so
 * `switch (error.code)` is checked, yet open (`string & {}`): a newer server may answer a code
 * this client does not know yet, and that must not break the caller.
 */
export type FleetErrorCode = ErrorCode | (string & {});

/** Every error this client throws. */
export class FleetError extends Error {
  override readonly name: string = 'FleetError';
}

/**
 * The API (or the notifier) refused: `code` from the registry, the HTTP `status` (0 for a
 * notifier refusal, which has none), `details` as answered (`[{field, message}]` for bad input).
 * Never holds the API key: the key goes only in the Authorization header.
 */
export class FleetApiError extends FleetError {
  override readonly name: string = 'FleetApiError';

  constructor(
    readonly code: FleetErrorCode,
    message: string,
    readonly status: number,
    readonly details: Record<string, unknown>[] = [],
    /** The answer's Retry-After, in ms, when it had one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** Narrows to one code: `if (FleetApiError.is(e, 'BATCH_NOT_FOUND')) …`. */
  static is<C extends ErrorCode>(error: unknown, code?: C): error is FleetApiError & { code: C } {
    return error instanceof FleetApiError && (code === undefined || error.code === code);
  }
}

/** No answer at all: refused, reset, unknown host, TLS failure, or nothing within `timeoutMs`. */
export class FleetUnreachableError extends FleetError {
  override readonly name: string = 'FleetUnreachableError';

  constructor(
    readonly what: 'API' | 'notifier',
    /** The URL without any user:password part. */
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot reach the Fleet ${what} at ${url}`, options);
  }
}

/** An answer that is not Fleet's: a proxy's error page, a body that is not JSON. */
export class FleetProtocolError extends FleetError {
  override readonly name: string = 'FleetProtocolError';

  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** A streamed answer (results) was cut off, or went silent for `timeoutMs`, after it began. */
export class FleetStreamError extends FleetError {
  override readonly name: string = 'FleetStreamError';
}

/** A URL safe to show: no user:password part, no trailing slash. */
export function printableUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
