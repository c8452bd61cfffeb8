import { createHash, randomBytes } from 'node:crypto';
import { type FleetRedis, Keys } from '@fleet/redis';

/** A session id: 32 random bytes, base64url (43 characters). */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
export const ADMIN_SESSION_TTL_SEC = 8 * 3600;

/**
 * Bull Board login sessions in Redis. The browser holds a random id; Redis holds only its SHA-256
 * (so a Redis dump cannot be replayed as a cookie) mapped to the API key's name, never the key.
 * Sessions end after `ttlSec` or at logout; a revoked key's session is refused at authentication.
 */
export class AdminSessionStore {
  private readonly keys: Keys;

  constructor(
    private readonly redis: FleetRedis,
    prefix: string,
    readonly ttlSec = ADMIN_SESSION_TTL_SEC,
  ) {
    this.keys = new Keys(prefix);
  }

  /** A new session for the key named `keyName`; resolves to the id to put in the cookie. */
  async create(keyName: string): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    await this.redis.set(this.key(id), keyName, 'EX', this.ttlSec);
    return id;
  }

  /** The key name of a live session, or null (unknown, expired, ended or malformed id). */
  async keyName(id: string): Promise<string | null> {
    if (!SESSION_ID.test(id)) return null;
    return this.redis.get(this.key(id));
  }

  async end(id: string): Promise<void> {
    if (SESSION_ID.test(id)) await this.redis.del(this.key(id));
  }

  private key(id: string): string {
    return this.keys.adminSession(createHash('sha256').update(id).digest('hex'));
  }
}
