import { keyFamilies, keyFamily } from './key-families.js';
import { deletePrefix, testPrefix, testRedisClient, testRedisMode } from './prefix.js';

it('names a key by its family: ids become *, hash tags keep their name', () => {
  expect(keyFamily('soak:{batch:b12x1733}:results')).toBe('soak:{batch:*}:results');
  expect(keyFamily('soak:{events}:dedupe:b3x9.14:done')).toBe('soak:{events}:dedupe:*:done');
  expect(keyFamily('soak:{pool:default}:profile:p-7')).toBe('soak:{pool:*}:profile:*');
  expect(keyFamily('soak:{items}:b1x2.3')).toBe('soak:{items}:*');
  expect(keyFamily('soak:{items.shop@1}:meta')).toBe('soak:{items.shop@1}:meta');
  expect(keyFamily('soak:batches')).toBe('soak:batches');
});

it('counts the keys under a prefix by family, the prefix (digits and all) left out', async () => {
  if (testRedisMode() !== 'single') return; // keyFamilies scans one node
  const redis = testRedisClient();
  const prefix = testPrefix('e2e'); // `fleet-test-e2e-<hex>`: has digits, which a family turns into `*`
  const other = testPrefix('other');
  await Promise.all(
    [`${prefix}:pools`, `${prefix}:{batch:b1x2}:meta`, `${prefix}:{batch:b3x4}:meta`, `${other}:pools`].map(
      (key) => redis.set(key, '1'),
    ),
  );
  try {
    expect(await keyFamilies(redis, prefix)).toEqual(
      new Map([
        ['pools', 1],
        ['{batch:*}:meta', 2],
      ]),
    );
  } finally {
    await deletePrefix(redis, prefix);
    await deletePrefix(redis, other);
    redis.disconnect();
  }
});
