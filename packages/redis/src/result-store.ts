import { type ItemResult, itemResultSchema } from '@fleet/contracts';
import type {
  BatchProgress,
  ClaimExtension,
  ClaimStatus,
  ItemRef,
  RecordOutcome,
  ResultStore,
} from '@fleet/core';
import type { FleetRedis } from './connection.js';
import { Keys } from './keys.js';
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
}

/** Item results with fenced writes (see the ResultStore port and src/lua/record-3.lua). */
export class RedisResultStore implements ResultStore {
  private readonly keys: Keys;

  constructor(
    private readonly redis: FleetRedis,
    prefix: string,
    private readonly options: ResultStoreOptions = { retentionSec: 7 * 24 * 3600 },
  ) {
    this.keys = new Keys(prefix);
  }

  async claim(ref: ItemRef, fence: number, expiresAt: number): Promise<ClaimStatus> {
    const k = this.keys.batch(ref.batchId);
    const code = await this.redis.fleetClaim(k.meta, k.results, k.claims, ref.index, fence, expiresAt);
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

  async record(ref: ItemRef, fence: number, result: ItemResult): Promise<RecordOutcome> {
    const k = this.keys.batch(ref.batchId);
    const [code, total, completed, failed] = await this.redis.fleetRecord(
      k.meta,
      k.results,
      k.claims,
      ref.index,
      fence,
      result.state,
      JSON.stringify(result),
      this.options.retentionSec,
    );
    if (code === ScriptCode.UNKNOWN_BATCH) orThrow(code, { batchId: ref.batchId });
    return { status: RECORD[code]!, batch: { total, completed, failed, done: completed + failed >= total } };
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
