import { createRedis, waitReady } from '@fleet/redis';
import { RedisServer } from '@fleet/testing';
import { startHealthServer } from './health-server.js';

describe('worker health server', () => {
  it('answers /health always and /ready only while Redis answers', async () => {
    const server = await RedisServer.start();
    const redis = createRedis(server.url, { role: 'producer', overrides: { disconnectTimeout: 10 } });
    redis.on('error', () => {});
    // Connected before the first probe: /ready gives Redis 1 s, and on a loaded host the first
    // connect (before the PING can go) took longer (a CI-like run saw 503 here).
    await waitReady(redis);
    const metrics = { contentType: 'text/plain; version=0.0.4', text: async () => 'fleet_items_total 1\n' };
    const health = await startHealthServer(0, redis, () => ({ held: 2 }), metrics);
    const get = (path: string) => fetch(`http://127.0.0.1:${health.port}${path}`);
    try {
      expect(await (await get('/health')).json()).toEqual({ status: 'ok', held: 2 });
      expect((await get('/ready')).status).toBe(200);
      const scraped = await get('/metrics');
      expect(scraped.headers.get('content-type')).toBe('text/plain; version=0.0.4');
      expect(await scraped.text()).toBe('fleet_items_total 1\n');
      await server.stop();
      const down = await get('/ready');
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ error: { code: 'REDIS_UNAVAILABLE' } });
      expect((await get('/health')).status).toBe(200);
      expect((await get('/metrics')).status).toBe(200); // metrics need no Redis
      expect(await (await get('/nope')).json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    } finally {
      await health.close();
      redis.disconnect();
      await server.close();
    }
  });
});
