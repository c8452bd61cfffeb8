import { FatalError } from '@fleet/core';
import { deletePrefix, testPrefix, testRedisTarget } from '@fleet/testing';
import { RedisBatchStore } from './batch-store.js';
import { createRedis } from './connection.js';
import { RedisProfileStore } from './profile-store.js';
import { openProxy, SecretBox, sealProxy } from './secret-box.js';

const KEY = SecretBox.generateKey();
const PASSWORD = 'canary-proxy-password-7f3a';
const proxy = { type: 'http' as const, host: '10.0.0.9', port: 3128, username: 'u', password: PASSWORD };

describe('SecretBox', () => {
  const box = SecretBox.fromSetting(KEY)!;

  it('seals and opens; each seal differs; unsealed values pass through', () => {
    const a = box.seal(PASSWORD);
    const b = box.seal(PASSWORD);
    expect(a).toMatch(/^enc:v1:/);
    expect(a).not.toBe(b);
    expect(a).not.toContain(PASSWORD);
    expect(box.open(a)).toBe(PASSWORD);
    expect(box.open('plain')).toBe('plain');
  });

  it('refuses a value sealed under another key, and a tampered one, with a clear fatal error', () => {
    const other = SecretBox.fromSetting(SecretBox.generateKey())!;
    expect(() => other.open(box.seal(PASSWORD))).toThrow(FatalError);
    const sealed = box.seal(PASSWORD);
    const tampered = `${sealed.slice(0, -2)}${sealed.endsWith('A') ? 'B' : 'A'}A`;
    expect(() => box.open(tampered)).toThrow(/another FLEET_SECRET_KEY/);
  });

  it('reads hex and base64 keys; empty means none; a short key is refused without echoing it', () => {
    expect(SecretBox.fromSetting('')).toBeNull();
    expect(SecretBox.fromSetting(Buffer.alloc(32, 7).toString('base64'))).toBeInstanceOf(SecretBox);
    expect(() => SecretBox.fromSetting('abc123-secret')).toThrow(/^FLEET_SECRET_KEY must be 32 bytes/);
    try {
      SecretBox.fromSetting('abc123-secret');
    } catch (error) {
      expect((error as Error).message).not.toContain('abc123-secret');
    }
  });

  it('seals only the password of a proxy; opening without a box is an error', () => {
    const sealed = sealProxy(proxy, box);
    expect({ ...sealed, password: undefined }).toEqual({ ...proxy, password: undefined });
    expect(openProxy(sealed, box)).toEqual(proxy);
    expect(() => openProxy(sealed, null)).toThrow(/set FLEET_SECRET_KEY/);
    expect(sealProxy(proxy, null)).toBe(proxy);
  });
});

describe('proxy passwords at rest', () => {
  const prefix = testPrefix('secrets');
  const redis = createRedis(testRedisTarget(), { role: 'worker' });
  const box = SecretBox.fromSetting(KEY)!;
  afterAll(async () => {
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  async function everyValue(): Promise<string> {
    const keys = await redis.keys(`${prefix}:*`);
    const parts: string[] = [];
    for (const key of keys) {
      const type = await redis.type(key);
      if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'string') parts.push((await redis.get(key)) ?? '');
      else if (type === 'zset') parts.push((await redis.zrange(key, '0', '-1')).join(' '));
      else if (type === 'set') parts.push((await redis.smembers(key)).join(' '));
    }
    return parts.join('\n');
  }

  it('profile and batch proxies are sealed in Redis and open for readers with the key', async () => {
    const profiles = new RedisProfileStore(redis, prefix, box);
    await profiles.register({ id: 'sp-1', pool: 'p', proxy });
    await profiles.update('sp-1', { proxy: { ...proxy, password: `${PASSWORD}-2` } });
    await profiles.register({ id: 'sp-2', pool: 'p', proxy });
    const batches = new RedisBatchStore(redis, prefix, undefined, box);
    await batches.create({ id: 'sb-1', pool: 'p', total: 1, proxy });

    expect(await everyValue()).not.toContain(PASSWORD);
    expect((await profiles.get('sp-1'))?.proxy?.password).toBe(`${PASSWORD}-2`);
    expect((await profiles.list('p')).profiles.map((p) => p.proxy?.password)).toEqual(
      expect.arrayContaining([`${PASSWORD}-2`, PASSWORD]),
    );
    expect((await batches.proxyOf('sb-1'))?.password).toBe(PASSWORD);
    // A reader without the key sees that a password is set, never what it is.
    const blind = new RedisProfileStore(redis, prefix);
    expect((await blind.get('sp-2'))?.proxy?.password).toMatch(/^enc:v1:/);
    await expect(new RedisBatchStore(redis, prefix).proxyOf('sb-1')).rejects.toThrow(/FLEET_SECRET_KEY/);
  });
});
