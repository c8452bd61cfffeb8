import { Redis } from 'ioredis';
import type { Scanner } from './secrets-canaries.js';

/** What a Redis scan read: keys by type, values read (fields, members, entries). */
export interface RedisScanCount {
  keys: number;
  values: number;
  byType: Record<string, number>;
}

/** The databases that hold keys (`INFO keyspace`), db0 always. */
async function databases(redis: Redis): Promise<number[]> {
  const info = await redis.info('keyspace');
  const dbs = [...info.matchAll(/^db(\d+):/gm)].map((m) => Number(m[1]));
  return [...new Set([0, ...dbs])];
}

/** Every value of one key as text (each field/member/entry one string), whatever its type. */
async function valuesOf(redis: Redis, key: string, type: string): Promise<string[]> {
  switch (type) {
    case 'string':
      return [(await redis.get(key)) ?? ''];
    case 'hash':
      return Object.entries(await redis.hgetall(key)).map(([f, v]) => `${f}=${v}`);
    case 'list':
      return redis.lrange(key, 0, -1);
    case 'set':
      return redis.smembers(key);
    case 'zset':
      return redis.zrange(key, 0, '-1', 'WITHSCORES') as Promise<string[]>;
    case 'stream': {
      const out: string[] = [];
      let start = '-';
      for (;;) {
        const page = await redis.xrange(key, start, '+', 'COUNT', 1000);
        for (const [id, fields] of page) out.push(`${id} ${JSON.stringify(fields)}`);
        if (page.length < 1000) return out;
        start = `(${page[page.length - 1]![0]}`;
      }
    }
    default:
      return [`<${type}>`];
  }
}

/**
 * Reads every key of the server at `url` whose name matches `match` (every database) and scans
 * its name and each of its values: strings, hashes (BullMQ's job hashes: data, opts,
 * returnvalue, failedReason, stacktrace), lists, sets, sorted sets and streams entry by entry.
 */
export async function scanRedis(
  url: string,
  scanner: Scanner,
  match = '*',
  label = 'redis',
): Promise<RedisScanCount> {
  const admin = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  await admin.connect();
  const count: RedisScanCount = { keys: 0, values: 0, byType: {} };
  try {
    for (const db of await databases(admin)) {
      const redis = new Redis(url, { db, maxRetriesPerRequest: 1, lazyConnect: true });
      await redis.connect();
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 500);
          cursor = next;
          for (const key of keys) {
            const type = await redis.type(key);
            if (type === 'none') continue; // expired meanwhile
            const values = await valuesOf(redis, key, type);
            const place = `${label} db${db} ${type} ${key}`;
            scanner.scan(place, key);
            for (const value of values) scanner.scan(place, value);
            count.keys++;
            count.values += values.length;
            count.byType[type] = (count.byType[type] ?? 0) + 1;
          }
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    }
    // The slow log keeps the arguments of slow commands (a whole job's data, an EVAL's ARGV).
    const slow = (await admin.call('SLOWLOG', 'GET', '1000')) as unknown[];
    scanner.scan(`${label} SLOWLOG (${slow.length} entries)`, JSON.stringify(slow));
    const clients = (await admin.call('CLIENT', 'LIST')) as string;
    scanner.scan(`${label} CLIENT LIST`, clients);
  } finally {
    admin.disconnect();
  }
  return count;
}

/**
 * Everything sent to Redis while it runs: MONITOR (every command of every client, with its
 * arguments: what a replica or an operator's MONITOR would see) and every pub/sub message.
 */
export class RedisWire {
  readonly commands: string[] = [];
  readonly messages: string[] = [];
  private monitor: Redis | null = null;
  private closed = false;
  private readonly subscriber: Redis;

  private constructor(private readonly client: Redis) {
    this.subscriber = client.duplicate();
  }

  static async start(url: string): Promise<RedisWire> {
    const wire = new RedisWire(new Redis(url, { maxRetriesPerRequest: 1 }));
    wire.monitor = await wire.client.monitor();
    wire.monitor.on('monitor', (_time: string, args: string[], source: string, db: string) =>
      wire.commands.push(`db${db} ${source} ${JSON.stringify(args)}`),
    );
    await wire.subscriber.psubscribe('*');
    wire.subscriber.on('pmessage', (_pattern: string, channel: string, message: string) =>
      wire.messages.push(`${channel} ${message}`),
    );
    return wire;
  }

  /** Stops listening. */
  close(): { commands: number; messages: number } {
    if (!this.closed) {
      this.closed = true;
      this.monitor?.disconnect();
      this.subscriber.disconnect();
      this.client.disconnect();
    }
    return { commands: this.commands.length, messages: this.messages.length };
  }

  /** Scans what was heard (each command and message is one value). */
  scanInto(scanner: Scanner): void {
    for (const c of this.commands) scanner.scan('redis MONITOR (every command sent)', c);
    for (const m of this.messages) scanner.scan('redis pub/sub (every message)', m);
  }
}
