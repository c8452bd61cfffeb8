import type { FleetEvent } from '@fleet/contracts';
import type { LoggerPort } from '@fleet/core';
import type { FleetRedis } from '@fleet/redis';
import { compareStreamIds } from './protocol.js';
import { entryToEvent, fieldValue } from './stream-entry.js';

export interface ReplayResult {
  /** Id of the last event sent, or null when none was. */
  lastSentId: string | null;
  sent: number;
}

export interface ReplayOptions {
  streamKey: string;
  batchId: string;
  /** Send the batch's events after this id (exclusive). */
  afterId: string;
  /** Each event of the batch, in stream order. */
  send(event: FleetEvent): void;
  /** Called once, before any event past the gap, when entries after `afterId` may have been trimmed. */
  truncated(oldestId: string | null): void;
  /** Checked between chunks: stop early (the client went away or asked again). */
  cancelled(): boolean;
  logger: LoggerPort;
  /** Entries per XRANGE. */
  chunk?: number;
}

type Entries = [string, string[]][];

/**
 * Reads the stream after `afterId` to its end, in chunks, and sends the events of one batch
 * (entries are filtered by their `b` field before any JSON is parsed).
 *
 * Each chunk is read in one MULTI with XINFO STREAM, so trimming cannot slip between the two.
 * Entries after the cursor may be gone when the stream has lost entries at all (`entries-added`
 * exceeds `length`; MAXLEN trims the old end) and its first entry is newer than the cursor; then
 * `truncated` is called once. A missing stream with a cursor past `0-0` counts as truncated too
 * (the stream was lost), with oldestId null.
 */
export async function replayBatch(redis: FleetRedis, options: ReplayOptions): Promise<ReplayResult> {
  const { streamKey, batchId, chunk = 1000, logger } = options;
  let cursor = options.afterId;
  let lastSentId: string | null = null;
  let sent = 0;
  let toldTruncated = false;
  while (!options.cancelled()) {
    const replies = await redis
      .multi()
      .xinfo('STREAM', streamKey)
      .xrange(streamKey, `(${cursor}`, '+', 'COUNT', chunk)
      .exec();
    if (!replies) throw new Error('the replay transaction was discarded');
    const [[infoError, info], [rangeError, range]] = replies as [
      [Error | null, unknown[]],
      [Error | null, Entries],
    ];
    if (rangeError) throw rangeError;
    if (infoError && !/no such key/i.test(infoError.message)) throw infoError;
    const gap = infoError ? { oldestId: null, lost: cursor !== '0-0' } : lostAfter(cursor, info);
    if (gap.lost && !toldTruncated) {
      toldTruncated = true;
      options.truncated(gap.oldestId);
    }
    for (const [id, fields] of range) {
      if (fieldValue(fields, 'b') !== batchId) continue;
      const event = entryToEvent(id, fields, logger);
      if (!event) continue;
      options.send(event);
      lastSentId = id;
      sent++;
    }
    if (range.length < chunk) break;
    cursor = range[range.length - 1]![0];
  }
  return { lastSentId, sent };
}

/** From XINFO STREAM: may entries after `cursor` have been removed? And the oldest kept id. */
function lostAfter(cursor: string, reply: unknown[]): { lost: boolean; oldestId: string | null } {
  const info = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) info.set(String(reply[i]), reply[i + 1]);
  const first = info.get('first-entry');
  const oldestId = Array.isArray(first) && typeof first[0] === 'string' ? first[0] : null;
  const added = info.get('entries-added'); // Redis >= 7.0; older servers: assume entries were removed
  const removedSome = typeof added === 'number' ? added > Number(info.get('length')) : true;
  if (!removedSome) return { lost: false, oldestId };
  const boundary = oldestId ?? String(info.get('last-generated-id') ?? '0-0');
  return { lost: compareStreamIds(cursor, boundary) < 0, oldestId };
}
