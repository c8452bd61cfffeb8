import { errorSignature } from '@fleet/core';
import { deletePrefix, testPrefix, testRedisTarget } from '@fleet/testing';
import { createRedis } from './connection.js';
import { RedisEvidencePolicy } from './evidence-policy.js';
import { Keys } from './keys.js';

const prefix = testPrefix('evidence');
const redis = createRedis(testRedisTarget(), { role: 'worker' });
afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

function failure(index: number, code = 'SELECTOR_NOT_FOUND', path = 'steps[2]') {
  const message = `no element matched "#row-${index}" within 5000 ms`;
  return { signature: errorSignature(code, path, message), code, path, message, itemId: `b1.${index}` };
}

it('200 failures of one kind at once: exactly 3 keep evidence, all 200 counted; other kinds apart', async () => {
  const policy = new RedisEvidencePolicy(redis, prefix, { perError: 3, retentionSec: 60 });
  const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => policy.take('b1', failure(i))));
  expect(answers.filter(Boolean)).toHaveLength(3);
  // Counted in the order they reached Redis: the first three asked are the ones that keep it.
  const other = await Promise.all([
    policy.take('b1', failure(1000, 'ASSERTION_FAILED')),
    policy.take('b1', failure(1001, 'SELECTOR_NOT_FOUND', 'steps[4]')),
    policy.take('b2', failure(0)),
  ]);
  expect(other).toEqual([true, true, true]);
  const summary = await policy.summary('b1');
  expect(summary).toHaveLength(3);
  expect(summary[0]).toEqual({
    signature: failure(0).signature,
    code: 'SELECTOR_NOT_FOUND',
    path: 'steps[2]',
    message: expect.stringMatching(/^no element matched "#row-\d+" within 5000 ms$/),
    count: 200,
    withEvidence: 3,
    items: expect.any(Array),
  });
  expect(summary[0]!.items).toHaveLength(10);
  expect(summary.slice(1).map((e) => [e.code, e.path, e.count, e.withEvidence, e.items])).toEqual(
    expect.arrayContaining([
      ['ASSERTION_FAILED', 'steps[2]', 1, 1, ['b1.1000']],
      ['SELECTOR_NOT_FOUND', 'steps[4]', 1, 1, ['b1.1001']],
    ]),
  );
  expect(await policy.summary('b2')).toMatchObject([{ count: 1, items: ['b1.0'] }]);
  expect(await policy.summary('none')).toEqual([]);
  // In the batch's slot, and it expires with the batch's other keys.
  const key = new Keys(prefix).batch('b1').errors;
  expect(key).toContain('{batch:b1}');
  expect(await redis.ttl(key)).toBeGreaterThan(50);
});

it('EVIDENCE_PER_ERROR is a setting: 0 keeps none; kinds past maxSignatures are counted as one kind, code *', async () => {
  const none = new RedisEvidencePolicy(redis, prefix, { perError: 0, retentionSec: 60 });
  expect(await none.take('b3', failure(0))).toBe(false);
  const few = new RedisEvidencePolicy(redis, prefix, { perError: 3, retentionSec: 60, maxSignatures: 2 });
  expect(await few.take('b4', failure(0, 'A'))).toBe(true);
  expect(await few.take('b4', failure(0, 'B'))).toBe(true);
  expect(await few.take('b4', failure(0, 'C'))).toBe(false);
  expect(await few.take('b4', failure(0, 'D'))).toBe(false);
  expect(await few.take('b4', failure(1, 'A'))).toBe(true);
  const summary = await few.summary('b4');
  expect(summary.map((e) => [e.code, e.count, e.withEvidence])).toEqual([
    ['A', 2, 2],
    ['*', 2, 0],
    ['B', 1, 1],
  ]);
});
