import type {
  BatchListQuery,
  BatchPage,
  BatchRecord,
  BatchStatus,
  BatchStore,
  CancelStatus,
  NewBatch,
  ProxyConfig,
} from '@fleet/core';
import { InvalidArgumentError } from '@fleet/core';
import type { FleetRedis } from './connection.js';
import { Keys } from './keys.js';
import { orThrow } from './script-errors.js';
import { openProxy, type SecretBox, sealProxy } from './secret-box.js';

const CANCEL: Record<number, CancelStatus> = { 1: 'cancelled', 2: 'already-cancelled', 3: 'finished' };

export interface BatchStoreOptions {
  /** How long a finished (or cancelled) batch's keys stay, in seconds. */
  retentionSec: number;
}

/**
 * Batch records: one hash per batch (`{batch:<id>}` slot), counters updated by the result store.
 * Two global sorted sets index batches by creation time (all, and per owner) for listing; they
 * are written beside the record, never inside a script, and entries whose record has expired are
 * dropped when a listing meets them or a create samples them (`pruneIndex`).
 */
export class RedisBatchStore implements BatchStore {
  private readonly keys: Keys;

  constructor(
    private readonly redis: FleetRedis,
    prefix: string,
    private readonly options: BatchStoreOptions = { retentionSec: 7 * 24 * 3600 },
    /** Seals the batch proxy's password at rest (FLEET_SECRET_KEY); without it, stored as given. */
    private readonly box: SecretBox | null = null,
  ) {
    this.keys = new Keys(prefix);
  }

  async create(batch: NewBatch): Promise<BatchRecord> {
    if (!Number.isInteger(batch.total) || batch.total < 1) {
      throw new InvalidArgumentError('a batch needs at least one item', [
        { field: 'total', message: 'must be >= 1' },
      ]);
    }
    const { meta } = this.keys.batch(batch.id);
    const created = await this.redis.hsetnx(meta, 'id', batch.id);
    if (created === 0) throw new InvalidArgumentError(`batch "${batch.id}" already exists`);
    const now = Date.now();
    await this.redis.hset(meta, {
      name: batch.name ?? '',
      owner: batch.owner ?? '',
      pool: batch.pool,
      total: batch.total,
      completed: 0,
      failed: 0,
      status: 'queued',
      createdAt: now,
      enqueued: 0,
      // Kept in the record (same slot, same retention), never in job data; the password sealed.
      proxy: batch.proxy ? JSON.stringify(sealProxy(batch.proxy, this.box)) : '',
      scenario: batch.scenario ?? '',
      scheduleId: batch.scheduleId ?? '',
    });
    const entry = indexEntry(now, batch.id);
    await this.redis.zadd(this.keys.batchIndex, 0, entry);
    await this.pruneIndex(this.keys.batchIndex);
    if (batch.owner) {
      await this.redis.zadd(this.keys.ownerBatchIndex(batch.owner), 0, entry);
      await this.pruneIndex(this.keys.ownerBatchIndex(batch.owner));
    }
    return (await this.get(batch.id))!;
  }

  /**
   * Each create drops up to PRUNE_PER_CREATE index entries whose batch has expired, looking at the
   * oldest entries (where expired batches collect) and as many random ones (so an old batch still
   * running at the head does not shield those behind it). A listing only drops what it meets, and
   * nothing pages to the end, so without this the indexes grew by one entry per batch for good
   * (the soak: 1,000 batches, 1,000 entries left after all had expired). One create adds one entry
   * and can drop several, so an index stays near the number of batches that still exist.
   */
  private async pruneIndex(index: string): Promise<void> {
    const [oldest, random] = await Promise.all([
      this.redis.zrangebylex(index, '-', '+', 'LIMIT', 0, PRUNE_PER_CREATE),
      this.redis.zrandmember(index, PRUNE_PER_CREATE) as Promise<string[]>,
    ]);
    const candidates = [...new Set([...oldest, ...random])];
    // Not one pipeline: each batch has its own slot (a Cluster refuses a pipeline across slots).
    const exists = await Promise.all(
      candidates.map((entry) => this.redis.exists(this.keys.batch(entryId(entry)).meta)),
    );
    const gone = candidates.filter((_, i) => exists[i] === 0);
    if (gone.length > 0) await this.redis.zrem(index, ...gone);
  }

  async get(batchId: string): Promise<BatchRecord | null> {
    return toRecord(await this.redis.hgetall(this.keys.batch(batchId).meta));
  }

  async proxyOf(batchId: string): Promise<ProxyConfig | null> {
    const raw = await this.redis.hget(this.keys.batch(batchId).meta, 'proxy');
    return raw ? openProxy(JSON.parse(raw) as ProxyConfig, this.box) : null;
  }

  async markEnqueued(batchId: string): Promise<void> {
    await this.redis.hset(this.keys.batch(batchId).meta, 'enqueued', 1);
  }

  async cancel(batchId: string): Promise<{ status: CancelStatus; batch: BatchRecord | null }> {
    const k = this.keys.batch(batchId);
    const code = await this.redis.fleetCancel(k.meta, k.results, k.claims, this.options.retentionSec);
    if (code === -8) return { status: 'unknown', batch: null };
    return { status: CANCEL[orThrow(code, { batchId })]!, batch: await this.get(batchId) };
  }

  /**
   * Deletes a batch's keys (record, results, claims, stalls, errors, checkpoints: one slot, one DEL) and its
   * index entries. The caller checks it has finished; returns false when it was already gone.
   */
  async remove(batchId: string): Promise<boolean> {
    const record = await this.get(batchId);
    if (!record) return false;
    const k = this.keys.batch(batchId);
    const deleted = await this.redis.del(k.meta, k.results, k.claims, k.stalls, k.errors, k.checkpoints);
    const entry = indexEntry(record.createdAt, batchId);
    await this.redis.zrem(this.keys.batchIndex, entry);
    if (record.owner) await this.redis.zrem(this.keys.ownerBatchIndex(record.owner), entry);
    return deleted > 0;
  }

  /** Newest first. The cursor is the index entry of the last batch of the previous page. */
  async list(query: BatchListQuery): Promise<BatchPage> {
    const index = query.owner ? this.keys.ownerBatchIndex(query.owner) : this.keys.batchIndex;
    const limit = Math.max(1, Math.min(query.limit, 1000));
    let max = query.cursor === undefined ? '+' : `(${parseCursor(query.cursor)}`;
    const batches: BatchRecord[] = [];
    let last: string | null = null;
    let exhausted = false;
    while (batches.length < limit && !exhausted) {
      const entries = await this.redis.zrevrangebylex(index, max, '-', 'LIMIT', 0, limit - batches.length);
      if (entries.length < limit - batches.length) exhausted = true;
      if (entries.length === 0) break;
      // Not one pipeline: each batch has its own slot, and a Cluster refuses a pipeline across
      // slots. Sent together, ioredis pipelines them per connection anyway.
      const rows = await Promise.all(
        entries.map((entry) => this.redis.hgetall(this.keys.batch(entryId(entry)).meta)),
      );
      const gone: string[] = [];
      entries.forEach((entry, i) => {
        const record = toRecord(rows[i] ?? {});
        if (record) {
          batches.push(record);
          last = entry;
        } else gone.push(entry);
      });
      // Expired batches leave their index entries behind; drop them as we meet them.
      if (gone.length > 0) await this.redis.zrem(index, ...gone);
      max = `(${entries[entries.length - 1]}`;
    }
    const more =
      !exhausted &&
      last !== null &&
      (await this.redis.zrevrangebylex(index, `(${last}`, '-', 'LIMIT', 0, 1)).length > 0;
    return { batches, nextCursor: more ? last : null };
  }
}

/** Index entries each create looks at for an expired batch, oldest and random alike (`pruneIndex`). */
const PRUNE_PER_CREATE = 3;

/** Index entries sort by creation time: `<createdAt, 15 digits>:<id>`, all scored 0 (ordered by lex). */
function indexEntry(createdAt: number, id: string): string {
  return `${String(createdAt).padStart(15, '0')}:${id}`;
}

function entryId(entry: string): string {
  return entry.slice(16);
}

function parseCursor(cursor: string): string {
  if (!/^\d{15}:[A-Za-z0-9_-]{1,64}$/.test(cursor)) {
    throw new InvalidArgumentError('the cursor is not one this API gave out', [
      { field: 'cursor', message: 'invalid' },
    ]);
  }
  return cursor;
}

function toRecord(h: Record<string, string>): BatchRecord | null {
  if (!h.id) return null;
  return {
    id: h.id,
    name: h.name || null,
    owner: h.owner || null,
    pool: h.pool ?? '',
    total: Number(h.total ?? 0),
    completed: Number(h.completed ?? 0),
    failed: Number(h.failed ?? 0),
    status: (h.status ?? 'queued') as BatchStatus,
    createdAt: Number(h.createdAt ?? 0),
    finishedAt: h.finishedAt ? Number(h.finishedAt) : null,
    enqueued: h.enqueued === '1',
    ...(h.scenario ? { scenario: h.scenario } : {}),
    ...(h.scheduleId ? { scheduleId: h.scheduleId } : {}),
  };
}
