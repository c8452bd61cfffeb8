import { type ItemResult, itemResultSchema } from '@fleet/contracts';
import type {
  BatchProgress,
  ClaimExtension,
  ClaimStatus,
  DoneEvents,
  EventDraft,
  ItemRef,
  RecordOutcome,
  ResultStore,
} from '@fleet/core';
import { ATTR, inSpan } from '@fleet/telemetry';
import { Cluster } from 'ioredis';
import type { FleetRedis } from './connection.js';
import { EVENT_STREAM_DEFAULTS, type EventStreamOptions } from './events-stream.js';
import { Keys } from './keys.js';
import { ScriptBatcher } from './script-batch.js';
import { orThrow, ScriptCode, scriptError } from './script-errors.js';

const CLAIM: Record<number, ClaimStatus> = { 1: 'claimed', 2: 'recorded', 3: 'cancelled', [-9]: 'stale' };
const RECORD: Record<number, RecordOutcome['status']> = {
  1: 'recorded',
  0: 'duplicate',
  3: 'cancelled',
  [-9]: 'stale',
};
const EXTEND: Record<number, ClaimExtension> = { 1: 'extended', 0: 'stale', 3: 'cancelled' };

export interface ResultStoreOptions {
  /** How long a finished batch's record and results stay, in seconds. */
  retentionSec: number;
  /** The event stream's settings, for the events a claim or record publishes itself. */
  events?: EventStreamOptions;
  /**
   * Publish events in the claim and record scripts (claim-publish-4, record-publish-6). Default: on
   * a single node or Sentinel; never on a Cluster, where the stream's slot is not the batch's.
   */
  publishEvents?: boolean;
}

/** Stands for `data.progress` in an event's JSON until the record script puts the counts there. */
export const PROGRESS = '@@fleet-progress@@';

/** An event's JSON split around its progress value: [before, after]. */
export function splitAtProgress(event: unknown): [string, string] {
  const parts = JSON.stringify(event).split(`"${PROGRESS}"`);
  if (parts.length !== 2) throw new Error('an event to publish with its record holds the progress marker');
  return [parts[0]!, parts[1]!];
}

/**
 * `splitAtProgress` of `{type: 'batch.completed', batchId, at, data: PROGRESS}`, written out: every
 * record sends it though only the batch's last one publishes it (a JSON round trip per item saved,
 * issue 17; result-store.test.ts checks it against splitAtProgress).
 */
export function batchCompletedParts(batchId: string, at: number): [string, string] {
  return [
    `{"type":"batch.completed","batchId":${JSON.stringify(batchId)},"at":${JSON.stringify(at)},"data":`,
    '}',
  ];
}

/** Item results with fenced writes (see the ResultStore port and src/lua/record-3.lua). */
export class RedisResultStore implements ResultStore {
  private readonly keys: Keys;
  readonly publishesEvents: boolean;
  private readonly events: EventStreamOptions;
  /** Claims and records of many items in one turn go as one script call (one Redis only). */
  private readonly claims?: ScriptBatcher<number>;
  private readonly records?: ScriptBatcher<[number, number, number, number]>;

  constructor(
    private readonly redis: FleetRedis,
    prefix: string,
    private readonly options: ResultStoreOptions = { retentionSec: 7 * 24 * 3600 },
  ) {
    this.keys = new Keys(prefix);
    this.publishesEvents = options.publishEvents ?? !(redis instanceof Cluster);
    this.events = options.events ?? EVENT_STREAM_DEFAULTS;
    if (this.publishesEvents && !(redis instanceof Cluster)) {
      this.claims = new ScriptBatcher(redis, 'fleetClaimPublish', 4);
      this.records = new ScriptBatcher(redis, 'fleetRecordPublish', 6);
    }
  }

  /** The claim, in an `item.claim` span (README "Tracing"). */
  claim(ref: ItemRef, fence: number, expiresAt: number, started?: EventDraft): Promise<ClaimStatus> {
    return inSpan(
      'item.claim',
      { attributes: { [ATTR.batchId]: ref.batchId, [ATTR.itemIndex]: ref.index } },
      () => this.claimNow(ref, fence, expiresAt, started),
    );
  }

  private async claimNow(
    ref: ItemRef,
    fence: number,
    expiresAt: number,
    started?: EventDraft,
  ): Promise<ClaimStatus> {
    const k = this.keys.batch(ref.batchId);
    const code =
      started && this.publishesEvents
        ? await this.claims!.call(
            [k.meta, k.results, k.claims, this.keys.events.stream],
            [ref.index, fence, expiresAt, this.events.maxLen, ref.batchId, JSON.stringify(started)],
          )
        : await this.redis.fleetClaim(k.meta, k.results, k.claims, ref.index, fence, expiresAt);
    if (code === ScriptCode.STALE_FENCE) return 'stale';
    return CLAIM[orThrow(code, { batchId: ref.batchId })]!;
  }

  async extendClaim(ref: ItemRef, fence: number, expiresAt: number): Promise<ClaimExtension> {
    const k = this.keys.batch(ref.batchId);
    const code = await this.redis.fleetExtendClaim(k.meta, k.claims, ref.index, fence, expiresAt);
    const status = EXTEND[code];
    if (!status) throw scriptError(code, { batchId: ref.batchId });
    return status;
  }

  async isCancelled(batchId: string): Promise<boolean> {
    return (await this.redis.hget(this.keys.batch(batchId).meta, 'status')) === 'cancelled';
  }

  /**
   * The fenced record, in an `item.record` span; `fleet.events.published` says whether the item's
   * events went out in the same script (one Redis) or are published after it (`event.publish`).
   */
  record(ref: ItemRef, fence: number, result: ItemResult, done?: DoneEvents): Promise<RecordOutcome> {
    const attributes = {
      [ATTR.batchId]: ref.batchId,
      [ATTR.itemIndex]: ref.index,
      'fleet.item.state': result.state,
    };
    return inSpan('item.record', { attributes }, async (span) => {
      const outcome = await this.recordNow(ref, fence, result, done);
      span.setAttributes({
        'fleet.record.status': outcome.status,
        'fleet.events.published': outcome.published === true,
      });
      return outcome;
    });
  }

  private async recordNow(
    ref: ItemRef,
    fence: number,
    result: ItemResult,
    done?: DoneEvents,
  ): Promise<RecordOutcome> {
    const k = this.keys.batch(ref.batchId);
    const args = [ref.index, fence, result.state, JSON.stringify(result), this.options.retentionSec] as const;
    const published = done !== undefined && this.publishesEvents;
    let reply: [number, number, number, number];
    if (done && published) {
      const e = this.keys.events;
      const item = splitAtProgress({ ...done.item, data: { ...done.item.data, progress: PROGRESS } });
      const batch = batchCompletedParts(ref.batchId, done.at);
      reply = await this.records!.call(
        [k.meta, k.results, k.claims, e.stream, e.dedupe(done.itemDedupeKey), e.dedupe(done.batchDedupeKey)],
        [...args, this.events.maxLen, this.events.dedupeTtlSec, ref.batchId, ...item, ...batch],
      );
    } else {
      reply = await this.redis.fleetRecord(k.meta, k.results, k.claims, ...args);
    }
    const [code, total, completed, failed] = reply;
    if (code === ScriptCode.UNKNOWN_BATCH) orThrow(code, { batchId: ref.batchId });
    const status = RECORD[code]!;
    return {
      status,
      batch: { total, completed, failed, done: completed + failed >= total },
      ...(published && status === 'recorded' ? { published: true } : {}),
    };
  }

  async get(ref: ItemRef): Promise<ItemResult | null> {
    const raw = await this.redis.hget(this.keys.batch(ref.batchId).results, String(ref.index));
    return raw === null ? null : itemResultSchema.parse(JSON.parse(raw));
  }

  async progress(batchId: string): Promise<BatchProgress | null> {
    const [total, completed, failed] = await this.redis.hmget(
      this.keys.batch(batchId).meta,
      'total',
      'completed',
      'failed',
    );
    if (total === null) return null;
    const t = Number(total);
    const c = Number(completed ?? 0);
    const f = Number(failed ?? 0);
    return { total: t, completed: c, failed: f, done: c + f >= t };
  }
}
