import { keyFamily } from './key-families.js';

it('names a key by its family: ids become *, hash tags keep their name', () => {
  expect(keyFamily('soak:{batch:b12x1733}:results')).toBe('soak:{batch:*}:results');
  expect(keyFamily('soak:{events}:dedupe:b3x9.14:done')).toBe('soak:{events}:dedupe:*:done');
  expect(keyFamily('soak:{pool:default}:profile:p-7')).toBe('soak:{pool:*}:profile:*');
  expect(keyFamily('soak:{items}:b1x2.3')).toBe('soak:{items}:*');
  expect(keyFamily('soak:{items.shop@1}:meta')).toBe('soak:{items.shop@1}:meta');
  expect(keyFamily('soak:batches')).toBe('soak:batches');
});
