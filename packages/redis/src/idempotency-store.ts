import { createHash } from 'node:crypto';
import type { FleetRedis } from './connection.js';
import { Keys } from './keys.js';

export type Reservation =
  /** The key is new: this request creates `batchId`. */
  | { outcome: 'new'; batchId: string }
  /** The same key and body came before: answer with that batch. */
  | { outcome: 'replay'; batchId: string }
  /** The same key came before with another body. */
  | { outcome: 'conflict'; batchId: string };

export const IDEMPOTENCY_TTL_SEC = 24 * 3600;

/**
 * `Idempotency-Key` of batch submits, per API key: one `SET NX GET` decides atomically which of
 * any number of concurrent identical requests creates the batch; the rest get its id.
 */
export class RedisIdempotencyStore {
  private readonly keys: Keys;

  constructor(
    private readonly redis: FleetRedis,
    prefix: string,
    private readonly ttlSec = IDEMPOTENCY_TTL_SEC,
  ) {
    this.keys = new Keys(prefix);
  }

  private key(owner: string, idempotencyKey: string): string {
    return this.keys.idempotency(owner, createHash('sha256').update(idempotencyKey).digest('hex'));
  }

  async reserve(
    owner: string,
    idempotencyKey: string,
    bodyHash: string,
    batchId: string,
  ): Promise<Reservation> {
    const previous = await this.redis.set(
      this.key(owner, idempotencyKey),
      `${bodyHash} ${batchId}`,
      'EX',
      this.ttlSec,
      'NX',
      'GET',
    );
    if (previous === null) return { outcome: 'new', batchId };
    const [hash, existing] = previous.split(' ') as [string, string];
    return { outcome: hash === bodyHash ? 'replay' : 'conflict', batchId: existing };
  }

  /** Forget a reservation whose batch was never created (the submit failed), so a retry may go ahead. */
  async release(owner: string, idempotencyKey: string, batchId: string): Promise<void> {
    const key = this.key(owner, idempotencyKey);
    const value = await this.redis.get(key);
    if (value?.endsWith(` ${batchId}`)) await this.redis.del(key);
  }
}
