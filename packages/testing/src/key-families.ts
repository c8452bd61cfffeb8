import type { Cluster, Redis } from 'ioredis';

/**
 * A Redis key's family: segments with a digit become `*`, a hash tag keeps its name
 * (`soak:{batch:b12x9}:results` → `soak:{batch:*}:results`), so ids do not make families. What the
 * soak and the retention test count keys by, to say which kind of key grows or is left behind.
 */
export function keyFamily(key: string): string {
  return key
    .replace(/\{([A-Za-z-]+):[^}]*\}/g, '{$1:*}')
    .split(':')
    .map((segment) => (!segment.startsWith('{') && /\d/.test(segment) ? '*' : segment))
    .join(':');
}

/** Keys matching `match` by family, SCANned (COUNT 1000, so Redis never blocks on one call); one node. */
export async function keyFamilies(redis: Redis | Cluster, match = '*'): Promise<Map<string, number>> {
  const families = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const family = keyFamily(key);
      families.set(family, (families.get(family) ?? 0) + 1);
    }
  } while (cursor !== '0');
  return families;
}
