import type { FleetRedis } from './connection.js';
import { Keys } from './keys.js';

/** A provider host (a launcher, a Multilogin agent) that workers could not reach. */
export interface ProviderDown {
  /** Its origin, e.g. `http://10.0.0.12:45001`. */
  provider: string;
  /** When a worker first found it unreachable (epoch ms), since it last answered. */
  since: number;
  /** The latest failed call (epoch ms). */
  lastSeenAt: number;
  /** What the latest failed call said (no credentials: the client's messages carry none). */
  error: string;
  /** The worker that saw it last. */
  by: string;
}

/**
 * Which provider hosts are down, as the workers see them (DESIGN.md section 7): a worker marks a
 * host down when a call cannot reach it and up when a call gets through; the API's pool view and
 * `fleet profiles list` show the marks. It is a view, not a lock: leases never read it.
 */
export class RedisProviderHealth {
  private readonly key: string;

  constructor(
    private readonly redis: FleetRedis,
    prefix: string,
  ) {
    this.key = new Keys(prefix).providersDown;
  }

  async markDown(provider: string, error: string, by: string, now = Date.now()): Promise<void> {
    const previous = parse(await this.redis.hget(this.key, provider));
    const down: Omit<ProviderDown, 'provider'> = {
      since: previous?.since ?? now,
      lastSeenAt: now,
      error: error.slice(0, 300),
      by,
    };
    await this.redis.hset(this.key, provider, JSON.stringify(down));
  }

  async markUp(provider: string): Promise<void> {
    await this.redis.hdel(this.key, provider);
  }

  /** Hosts marked down whose latest failed call is at most `freshMs` old, oldest outage first. */
  async down(freshMs = 10 * 60_000, now = Date.now()): Promise<ProviderDown[]> {
    const all = await this.redis.hgetall(this.key);
    const out: ProviderDown[] = [];
    for (const [provider, raw] of Object.entries(all)) {
      const mark = parse(raw);
      if (mark && now - mark.lastSeenAt <= freshMs) out.push({ provider, ...mark });
    }
    return out.sort((a, b) => a.since - b.since);
  }
}

function parse(raw: string | null | undefined): Omit<ProviderDown, 'provider'> | null {
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as Partial<ProviderDown>;
    if (typeof v.since !== 'number' || typeof v.lastSeenAt !== 'number') return null;
    return { since: v.since, lastSeenAt: v.lastSeenAt, error: String(v.error ?? ''), by: String(v.by ?? '') };
  } catch {
    return null;
  }
}
