import { type ItemResult, itemResultSchema } from '@fleet/contracts';
import type { FleetRedis } from './connection.js';
import { Keys } from './keys.js';

export interface StoredItem {
  index: number;
  /** The recorded result, or null while the item has none. */
  result: ItemResult | null;
  /** The latest attempt's claim, or null when no attempt claimed it. */
  claim: { fence: number; expiresAt: number } | null;
}

/** Reads a range of a batch's items (results and claims) for listings; two HMGETs per range. */
export class BatchItemsReader {
  private readonly keys: Keys;

  constructor(
    private readonly redis: FleetRedis,
    prefix: string,
  ) {
    this.keys = new Keys(prefix);
  }

  async range(batchId: string, start: number, count: number): Promise<StoredItem[]> {
    if (count <= 0) return [];
    const k = this.keys.batch(batchId);
    const fields = Array.from({ length: count }, (_, i) => String(start + i));
    const [results, claims] = await Promise.all([
      this.redis.hmget(k.results, ...fields),
      this.redis.hmget(k.claims, ...fields),
    ]);
    return fields.map((_, i) => {
      const raw = results[i];
      const claim = claims[i];
      const match = claim ? /^(\d+):(\d+)$/.exec(claim) : null;
      return {
        index: start + i,
        result: raw ? itemResultSchema.parse(JSON.parse(raw)) : null,
        claim: match ? { fence: Number(match[1]), expiresAt: Number(match[2]) } : null,
      };
    });
  }

  /**
   * The names in the recorded results' `data`, in order of first appearance by index (the CSV
   * export's columns), reading `pageSize` results at a time: only the names stay in memory.
   */
  async dataNames(batchId: string, total: number, pageSize = 500): Promise<string[]> {
    const k = this.keys.batch(batchId);
    const names = new Set<string>();
    for (let start = 0; start < total; start += pageSize) {
      const count = Math.min(pageSize, total - start);
      const fields = Array.from({ length: count }, (_, i) => String(start + i));
      for (const raw of await this.redis.hmget(k.results, ...fields)) {
        if (!raw) continue;
        const data = (JSON.parse(raw) as { data?: Record<string, unknown> }).data;
        for (const name of Object.keys(data ?? {})) names.add(name);
      }
    }
    return [...names];
  }
}
