import type { BatchRecord, BatchStatus, BatchStore, NewBatch } from '@fleet/core';
import { InvalidArgumentError } from '@fleet/core';
import type { Redis } from 'ioredis';
import { Keys } from './keys.js';

/** Batch records: one hash per batch (`{batch:<id>}` slot), counters updated by the result store. */
export class RedisBatchStore implements BatchStore {
  private readonly keys: Keys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
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
    });
    return (await this.get(batch.id))!;
  }

  async get(batchId: string): Promise<BatchRecord | null> {
    const h = await this.redis.hgetall(this.keys.batch(batchId).meta);
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
    };
  }
}
