import { deletePrefix, testPrefix, testRedisTarget } from '@fleet/testing';
import { createRedis } from './connection.js';
import { RedisKeyRevocations } from './key-revocations.js';
import { Keys } from './keys.js';

const prefix = testPrefix('revocations');
const redis = createRedis(testRedisTarget(), { role: 'worker' });
const subscriber = createRedis(testRedisTarget(), { role: 'worker' });
const revocations = new RedisKeyRevocations(redis, prefix);
afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
  subscriber.disconnect();
});

describe('key revocations', () => {
  it('revokes, lists and restores keys by name', async () => {
    expect(await revocations.isRevoked('acme')).toBe(false);
    expect(await revocations.revoke('acme')).toBe(true);
    expect(await revocations.revoke('acme')).toBe(false); // already revoked
    expect(await revocations.revoke('beta')).toBe(true);
    expect(await revocations.isRevoked('acme')).toBe(true);
    expect(await revocations.list()).toEqual(['acme', 'beta']);
    expect(await redis.smembers(new Keys(prefix).revokedKeys)).toHaveLength(2);

    expect(await revocations.restore('acme')).toBe(true);
    expect(await revocations.restore('acme')).toBe(false);
    expect(await revocations.isRevoked('acme')).toBe(false);
    expect(await revocations.list()).toEqual(['beta']);
  });

  it('announces each revocation on the channel, after the set holds the name', async () => {
    expect(revocations.channel).toBe(new Keys(prefix).revocationChannel);
    const heard: { name: string; inSet: boolean }[] = [];
    const done = new Promise<void>((resolve) => {
      subscriber.on('message', (channel: string, name: string) => {
        // On a Cluster a PUBLISH reaches the other nodes over the cluster bus a moment later: the
        // first test's announcements may still arrive at a subscriber on another node.
        if (channel !== revocations.channel || name !== 'gamma') return;
        void revocations.isRevoked(name).then((inSet) => {
          heard.push({ name, inSet });
          if (heard.length === 2) resolve();
        });
      });
    });
    await subscriber.subscribe(revocations.channel);
    await revocations.revoke('gamma');
    await revocations.revoke('gamma'); // announced again: a late socket is dropped too
    await done;
    expect(heard).toEqual([
      { name: 'gamma', inSet: true },
      { name: 'gamma', inSet: true },
    ]);
  });
});
