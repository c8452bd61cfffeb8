/**
 * Domain errors say what the caller should do next (Crawlee's habit). Every error has a stable
 * `code` and one of four kinds:
 * - `retryable`: try again later, with backoff (a provider is busy, a connection dropped);
 * - `non-retryable`: fail now, retrying cannot help (bad input, an assertion failed);
 * - `profile-fault`: this profile is broken (proxy, lock): quarantine it, retry on another;
 * - `fatal`: the process cannot go on (misconfiguration): stop it.
 */
export type ErrorKind = 'retryable' | 'non-retryable' | 'profile-fault' | 'fatal';

export interface ErrorDetail {
  field?: string;
  message: string;
  [key: string]: unknown;
}

export interface FleetErrorOptions {
  cause?: unknown;
  details?: ErrorDetail[];
}

export abstract class FleetError extends Error {
  abstract readonly kind: ErrorKind;
  readonly details: ErrorDetail[];

  constructor(
    readonly code: string,
    message: string,
    options: FleetErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details ?? [];
  }

  toJSON(): { code: string; message: string; kind: ErrorKind; details: ErrorDetail[] } {
    return { code: this.code, message: this.message, kind: this.kind, details: this.details };
  }
}

export class RetryableError extends FleetError {
  readonly kind = 'retryable' as const;
  /** How long the caller should wait before trying again, when the cause says (e.g. Retry-After). */
  retryAfterMs: number | undefined;
  constructor(code: string, message: string, options: FleetErrorOptions & { retryAfterMs?: number } = {}) {
    super(code, message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * The provider at `provider` (a launcher's URL, Multilogin's agent) could not be reached at all:
 * refused, no route, or no connection within the connect timeout. It is the host's trouble, not
 * the item's or the profile's: the item goes back without spending an attempt and the profile
 * rests (DESIGN.md section 5), so its host's other profiles are not tried one failure at a time.
 */
export class ProviderUnreachableError extends RetryableError {
  constructor(
    readonly provider: string,
    message: string,
    options: FleetErrorOptions & { retryAfterMs?: number } = {},
  ) {
    super('PROVIDER_UNAVAILABLE', message, options);
  }
}

export class NonRetryableError extends FleetError {
  readonly kind = 'non-retryable' as const;
}

export class ProfileFaultError extends FleetError {
  readonly kind = 'profile-fault' as const;
}

export class FatalError extends FleetError {
  readonly kind = 'fatal' as const;
}

/** Bad input to a domain operation: say which field and what to fix. */
export class InvalidArgumentError extends NonRetryableError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super('INVALID_ARGUMENT', message, { details });
  }
}

export class UnknownPoolError extends NonRetryableError {
  constructor(readonly pool: string) {
    super('UNKNOWN_POOL', `pool "${pool}" has no registered profiles: register profiles in it first`);
  }
}

export class ProfileNotFoundError extends NonRetryableError {
  constructor(readonly profileId: string) {
    super('PROFILE_NOT_FOUND', `profile "${profileId}" is not registered`);
  }
}

export class ProfileExistsError extends NonRetryableError {
  constructor(
    readonly profileId: string,
    readonly pool: string,
  ) {
    super('PROFILE_EXISTS', `profile "${profileId}" is already registered (in pool "${pool}")`);
  }
}

export class ProfileLeasedError extends NonRetryableError {
  constructor(readonly profileId: string) {
    super(
      'PROFILE_LEASED',
      `profile "${profileId}" is leased by a worker: wait for its release, or force the operation`,
    );
  }
}

/**
 * A lease is no longer ours (wrong token, expired, reclaimed, revoked). The holder must stop
 * driving the profile at once and write nothing more under that lease's fence.
 */
export class LeaseLostError extends NonRetryableError {
  constructor(
    readonly profileId: string,
    readonly reason: 'expired' | 'not-holder',
  ) {
    super(
      'LEASE_LOST',
      reason === 'expired'
        ? `the lease on profile "${profileId}" expired before it was renewed or released`
        : `the lease on profile "${profileId}" is held by someone else (or by nobody)`,
    );
  }
}

/**
 * The item's batch was cancelled. Used as the abort reason of a running item (and answered by the
 * result store's refusals): the attempt stops, records nothing, and the job is not retried.
 */
export class BatchCancelledError extends NonRetryableError {
  constructor(readonly batchId: string) {
    super('BATCH_CANCELLED', `batch "${batchId}" was cancelled`);
  }
}

export function isFleetError(error: unknown): error is FleetError {
  return error instanceof FleetError;
}
