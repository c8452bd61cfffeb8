import type { FleetRedis } from './connection.js';
import { Keys } from './keys.js';

/**
 * Revoked API keys, by name: a set (`<prefix>:revoked-keys`) that the API and the notifier check at
 * authentication, and a pub/sub channel (`<prefix>:revocations`, message = the key's name) that
 * tells running notifiers to drop a revoked key's sockets at once. The set is the truth; the
 * channel only makes it fast (a subscriber that was away re-reads the set).
 */
export class RedisKeyRevocations {
  private readonly keys: Keys;

  constructor(
    private readonly redis: FleetRedis,
    prefix: string,
  ) {
    this.keys = new Keys(prefix);
  }

  /** The pub/sub channel on which each revocation is announced (message: the key's name). */
  get channel(): string {
    return this.keys.revocationChannel;
  }

  /**
   * Revoke a key by name and announce it. Announces again when it was already revoked (harmless,
   * and it drops any socket that slipped in). Resolves true when the key was not revoked before.
   */
  async revoke(name: string): Promise<boolean> {
    // One transaction: a notifier that hears the message finds the name in the set.
    const replies = await this.redis
      .multi()
      .sadd(this.keys.revokedKeys, name)
      .publish(this.keys.revocationChannel, name)
      .exec();
    const [error, added] = replies?.[0] ?? [new Error('the revocation transaction was discarded'), 0];
    if (error) throw error;
    return added === 1;
  }

  /** Let a revoked key in again. Resolves true when it was revoked. */
  async restore(name: string): Promise<boolean> {
    return (await this.redis.srem(this.keys.revokedKeys, name)) === 1;
  }

  async isRevoked(name: string): Promise<boolean> {
    return (await this.redis.sismember(this.keys.revokedKeys, name)) === 1;
  }

  /** Every revoked key name, sorted. */
  async list(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.revokedKeys)).sort();
  }
}
