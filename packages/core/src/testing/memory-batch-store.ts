import { InvalidArgumentError } from '../errors.js';
import type {
  BatchListQuery,
  BatchPage,
  BatchRecord,
  BatchStore,
  CancelStatus,
  NewBatch,
} from '../ports/batch-store.js';
import type { ProxyConfig } from '../profile.js';

/**
 * Batch records in a map, with the Redis store's answers: ids are unique, a cancel says whether
 * this call cancelled, an earlier one did, the batch had finished, or it does not exist. Tests
 * move a batch along with `finish` (the result store's job in production).
 */
export class MemoryBatchStore implements BatchStore {
  readonly records = new Map<string, BatchRecord>();
  private readonly proxies = new Map<string, ProxyConfig>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  async create(batch: NewBatch): Promise<BatchRecord> {
    if (!Number.isInteger(batch.total) || batch.total < 1) {
      throw new InvalidArgumentError('a batch needs at least one item', [
        { field: 'total', message: 'must be >= 1' },
      ]);
    }
    if (this.records.has(batch.id)) throw new InvalidArgumentError(`batch "${batch.id}" already exists`);
    const record: BatchRecord = {
      id: batch.id,
      name: batch.name ?? null,
      owner: batch.owner ?? null,
      enqueued: false,
      pool: batch.pool,
      ...(batch.scenario ? { scenario: batch.scenario } : {}),
      total: batch.total,
      completed: 0,
      failed: 0,
      status: 'queued',
      createdAt: this.now(),
      finishedAt: null,
    };
    this.records.set(batch.id, record);
    if (batch.proxy) this.proxies.set(batch.id, batch.proxy);
    return { ...record };
  }

  async get(batchId: string): Promise<BatchRecord | null> {
    const record = this.records.get(batchId);
    return record ? { ...record } : null;
  }

  async list(query: BatchListQuery): Promise<BatchPage> {
    const all = [...this.records.values()]
      .filter((b) => query.owner === undefined || b.owner === query.owner)
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
    const start = query.cursor === undefined ? 0 : all.findIndex((b) => b.id === query.cursor) + 1;
    const page = all.slice(start, start + query.limit);
    const more = start + query.limit < all.length;
    return { batches: page.map((b) => ({ ...b })), nextCursor: more ? page[page.length - 1]!.id : null };
  }

  async proxyOf(batchId: string): Promise<ProxyConfig | null> {
    return this.proxies.get(batchId) ?? null;
  }

  async markEnqueued(batchId: string): Promise<void> {
    const record = this.records.get(batchId);
    if (record) record.enqueued = true;
  }

  async cancel(batchId: string): Promise<{ status: CancelStatus; batch: BatchRecord | null }> {
    const record = this.records.get(batchId);
    if (!record) return { status: 'unknown', batch: null };
    if (record.status === 'cancelled') return { status: 'already-cancelled', batch: { ...record } };
    if (record.status === 'completed') return { status: 'finished', batch: { ...record } };
    Object.assign(record, { status: 'cancelled', finishedAt: this.now() });
    return { status: 'cancelled', batch: { ...record } };
  }

  /** Every item has its result: the batch is completed. */
  finish(batchId: string, counts: { completed: number; failed: number }): void {
    const record = this.records.get(batchId);
    if (!record) throw new Error(`MemoryBatchStore: no batch "${batchId}"`);
    Object.assign(record, counts, { status: 'completed', finishedAt: this.now() });
  }
}
