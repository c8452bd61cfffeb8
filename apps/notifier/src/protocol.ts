import { batchIdSchema, ERRORS, type ErrorCode, zodDetails } from '@fleet/contracts';
import { z } from 'zod';

/**
 * The notifier's wire protocol (documented in README.md): what a client may send, what it gets
 * back, and the error codes. Everything a client sends is validated here, strictly.
 */

/**
 * Refusals carry a code of the registry in @fleet/contracts (`connect_error`'s `err.data.code`, an
 * ack's `error.code`); README.md's tables of them are generated from it (`pnpm docs:errors`).
 */
export interface ProtocolError {
  code: ErrorCode;
  message: string;
  details?: { field: string; message: string }[];
}

export type Ack = { ok: true } | { ok: false; error: ProtocolError };

/** A refusal with the registry's message unless the notifier has a more precise one. */
export function refusal(code: ErrorCode, message: string = ERRORS[code].message): ProtocolError {
  return { code, message };
}

/** The notifier's own words for a Redis it cannot reach (at connect and on a request). */
export const REDIS_DOWN = 'the notifier cannot reach Redis: try again shortly';

/** Batch subscriptions one socket may hold at once. */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 100;

/** Events the notifier itself emits (besides the fleet event types). */
export const NOTICES = {
  /** `{batchId, lastEventId, oldestId}`: events after lastEventId may have been trimmed away. */
  replayTruncated: 'replay.truncated',
  /** `{code, message}`: the key was revoked; the server disconnects the socket right after. */
  keyRevoked: 'auth.revoked',
} as const;

// ---- stream ids -------------------------------------------------------------------------------

const U64_MAX = 2n ** 64n - 1n;
const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/;

/** A Redis stream id as a pair of unsigned 64-bit numbers. */
export type StreamId = readonly [bigint, bigint];

/** `<ms>-<seq>` with both parts unsigned 64-bit; null when the text is not one. */
export function parseStreamId(text: string): StreamId | null {
  const match = STREAM_ID.exec(text);
  if (!match) return null;
  const ms = BigInt(match[1]!);
  const seq = BigInt(match[2]!);
  return ms <= U64_MAX && seq <= U64_MAX ? [ms, seq] : null;
}

/** Compare two valid stream ids: negative, 0 or positive (like a sort comparator). */
export function compareStreamIds(a: string, b: string): number {
  const x = parseStreamId(a);
  const y = parseStreamId(b);
  if (!x || !y) throw new Error(`not a stream id: ${x ? b : a}`);
  if (x[0] !== y[0]) return x[0] < y[0] ? -1 : 1;
  if (x[1] !== y[1]) return x[1] < y[1] ? -1 : 1;
  return 0;
}

const streamIdSchema = z
  .string()
  .max(41)
  .refine((s) => parseStreamId(s) !== null, 'a stream id: "<ms>-<seq>", as every event carries in `id`');

// ---- client → server --------------------------------------------------------------------------

const batchSubscription = z.strictObject({ batchId: batchIdSchema, lastEventId: streamIdSchema.optional() });
const allSubscription = z.strictObject({ all: z.literal(true) });

export type SubscribeRequest = z.infer<typeof batchSubscription> | z.infer<typeof allSubscription>;
export type UnsubscribeRequest = { batchId: string } | { all: true };

const SUBSCRIBE_SHAPE = 'subscribe takes {batchId, lastEventId?} or {all: true}';
const UNSUBSCRIBE_SHAPE = 'unsubscribe takes {batchId} or {all: true}';

type Parsed<T> = { ok: true; value: T } | { ok: false; error: ProtocolError };

function parseWith<T>(
  payload: unknown,
  shape: string,
  pick: (o: Record<string, unknown>) => z.ZodType<T>,
): Parsed<T> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { ok: false, error: { code: 'INVALID_ARGUMENT', message: `${shape}: got no object` } };
  }
  // Choose the variant by its key, so the details speak of that variant alone (a union's errors
  // would list both).
  const result = pick(payload as Record<string, unknown>).safeParse(payload);
  if (result.success) return { ok: true, value: result.data };
  const details = zodDetails(result.error);
  return {
    ok: false,
    error: {
      code: 'INVALID_ARGUMENT',
      message: `${shape}: ${details.map((d) => (d.field ? `${d.field}: ${d.message}` : d.message)).join('; ')}`,
      details,
    },
  };
}

export function parseSubscribe(payload: unknown): Parsed<SubscribeRequest> {
  return parseWith<SubscribeRequest>(payload, SUBSCRIBE_SHAPE, (o) =>
    'all' in o ? allSubscription : batchSubscription,
  );
}

export function parseUnsubscribe(payload: unknown): Parsed<UnsubscribeRequest> {
  return parseWith<UnsubscribeRequest>(payload, UNSUBSCRIBE_SHAPE, (o) =>
    'all' in o ? allSubscription : z.strictObject({ batchId: batchIdSchema }),
  );
}

// ---- rooms ------------------------------------------------------------------------------------

export const ROOMS = {
  all: 'all',
  batch: (batchId: string) => `batch:${batchId}`,
  /** Sockets replaying a batch: live events of that batch reach them through their replay instead. */
  replaying: (batchId: string) => `replaying:${batchId}`,
  /** Every socket of one API key (so a revocation finds them). */
  key: (name: string) => `key:${name}`,
} as const;
