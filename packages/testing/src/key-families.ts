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

/**
 * Keys under `prefix` (every key when none) by family, the prefix and its `:` left out
 * (`{batch:*}:meta`): a prefix is not a family's part, and one with a digit would turn into `*`.
 * SCANned (COUNT 1000, so Redis never blocks on one call); one node.
 */
export async function keyFamilies(redis: Redis | Cluster, prefix?: string): Promise<Map<string, number>> {
  const families = new Map<string, number>();
  const match = prefix === undefined ? '*' : `${prefix}:*`;
  const strip = prefix === undefined ? 0 : prefix.length + 1;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const family = keyFamily(key.slice(strip));
      families.set(family, (families.get(family) ?? 0) + 1);
    }
  } while (cursor !== '0');
  return families;
}
