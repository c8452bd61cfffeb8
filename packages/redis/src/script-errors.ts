import {
  FatalError,
  LeaseLostError,
  NonRetryableError,
  ProfileExistsError,
  ProfileLeasedError,
  ProfileNotFoundError,
  UnknownPoolError,
} from '@fleet/core';

/** Negative return codes of the Lua scripts (documented at the top of each script). */
export const ScriptCode = {
  EXISTS: -1,
  NOT_FOUND: -2,
  LEASED: -3,
  UNKNOWN_POOL: -4,
  NOT_HOLDER: -5,
  EXPIRED: -6,
  NOT_QUARANTINED: -7,
  UNKNOWN_BATCH: -8,
  STALE_FENCE: -9,
} as const;

export interface ScriptContext {
  profileId?: string;
  pool?: string;
  batchId?: string;
}

/** The one place where a script's return code becomes a domain error. */
export function scriptError(code: number, ctx: ScriptContext): Error {
  const id = ctx.profileId ?? '?';
  switch (code) {
    case ScriptCode.EXISTS:
      return new ProfileExistsError(id, ctx.pool ?? '?');
    case ScriptCode.NOT_FOUND:
      return new ProfileNotFoundError(id);
    case ScriptCode.LEASED:
      return new ProfileLeasedError(id);
    case ScriptCode.UNKNOWN_POOL:
      return new UnknownPoolError(ctx.pool ?? '?');
    case ScriptCode.NOT_HOLDER:
      return new LeaseLostError(id, 'not-holder');
    case ScriptCode.EXPIRED:
      return new LeaseLostError(id, 'expired');
    case ScriptCode.NOT_QUARANTINED:
      return new NonRetryableError('PROFILE_NOT_QUARANTINED', `profile "${id}" is not quarantined`);
    case ScriptCode.UNKNOWN_BATCH:
      return new NonRetryableError(
        'BATCH_NOT_FOUND',
        `batch "${ctx.batchId ?? '?'}" does not exist (or has expired)`,
      );
    default:
      return new FatalError('SCRIPT_BAD_REPLY', `a profile-pool script answered the unknown code ${code}`);
  }
}

/** Throw the mapped error when a script answered a negative code; pass other replies through. */
export function orThrow<T>(reply: T, ctx: ScriptContext): T {
  if (typeof reply === 'number' && reply < 0) throw scriptError(reply, ctx);
  return reply;
}
