import { Redis } from 'ioredis';
import { deletePrefix, testPrefix, testRedisUrl } from './prefix.js';
import { RedisServer } from './redis-server.js';

describe('test harness', () => {
  it('gives each run its own redis-server, never the one at 6379', async () => {
    const url = new URL(testRedisUrl());
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.port).not.toBe('6379');
    const redis = new Redis(testRedisUrl());
    const info = await redis.info('server');
    expect(info).toContain(`tcp_port:${url.port}`);
    redis.disconnect();
  });

  it('can stop and restart a server on the same port', async () => {
    const server = await RedisServer.start();
    // disconnectTimeout: ioredis arms a 2 s timer on disconnect of an already-closed stream.
    const redis = new Redis(server.url, {
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      disconnectTimeout: 10,
    });
    redis.on('error', () => {});
    await redis.set('k', 'v');
    await server.stop();
    expect(server.running).toBe(false);
    await expect(redis.get('k')).rejects.toThrow();
    await server.restart();
    const again = new Redis(server.url);
    expect(await again.get('k')).toBeNull(); // nothing persisted
    again.disconnect();
    redis.disconnect();
    await server.close();
  });

  it('resumes a stopped server with its data when persistence is on (an outage, not a wipe)', async () => {
    const server = await RedisServer.start({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    const before = new Redis(server.url);
    await before.set('k', 'kept');
    before.disconnect();
    await server.stop();
    expect(server.running).toBe(false);
    await server.resume();
    const after = new Redis(server.url);
    expect(await after.get('k')).toBe('kept');
    after.disconnect();
    await server.close();
  });

  it('deletes only the keys under one prefix', async () => {
    const redis = new Redis(testRedisUrl());
    const a = testPrefix('a');
    const b = testPrefix('b');
    await redis.mset(`${a}:1`, 'x', `${a}:2`, 'y', `${b}:1`, 'z');
    expect(await deletePrefix(redis, a)).toBe(2);
    expect(await redis.get(`${b}:1`)).toBe('z');
    await deletePrefix(redis, b);
    redis.disconnect();
  });
});
