import { RedisServer } from '@fleet/testing';
import { Harness, KEYS, request, testSettings, waitFor } from './test-support.js';

// The reader loop lives through Redis going away: a dropped connection and a full restart.

let server: RedisServer;
let h: Harness;
beforeAll(async () => {
  server = await RedisServer.start();
  h = new Harness(testSettings({ redisUrl: server.url }));
});
afterAll(async () => {
  await h.close();
  await server.close();
});

const ready = async (port: number) => (await fetch(`http://127.0.0.1:${port}/ready`)).status;

describe('Redis outages', () => {
  it('the reader resumes from its last id after its connection drops: nothing published meanwhile is skipped', async () => {
    const notifier = await h.start();
    const a = await h.batch('acme');
    const { client, log } = await h.connect(notifier, KEYS.acme.key);
    await request(client, 'subscribe', { batchId: a });
    const before = await h.publish(a, 2);
    await waitFor('the first events', () => log.has(before.at(-1)!));

    const list = await h.redis.client('LIST');
    const reader = String(list)
      .split('\n')
      .find((line) => line.includes(':reader'));
    const id = /\bid=(\d+)/.exec(reader ?? '')?.[1];
    expect(id).toBeDefined();
    await h.redis.client('KILL', 'ID', id!);
    const during = await h.publish(a, 5); // the reader is reconnecting now

    await waitFor('the events published while the reader was away', () => log.has(during.at(-1)!));
    expect(log.ids()).toEqual([...before, ...during]);
    await notifier.close();
  });

  it('survives a Redis restart: refuses cleanly while Redis is down, then delivers what is published after', async () => {
    const notifier = await h.start({ revocationCheckMs: 200 });
    const a = await h.batch('acme');
    const { client, log } = await h.connect(notifier, KEYS.acme.key);
    expect(await request(client, 'subscribe', { batchId: a })).toEqual({ ok: true });
    const [first] = await h.publish(a, 1);
    await waitFor('the first event', () => log.has(first!));
    expect(await ready(notifier.port)).toBe(200);

    await server.stop();
    await waitFor('/ready to say 503', async () => (await ready(notifier.port)) === 503);
    expect(await request(client, 'subscribe', { batchId: a })).toEqual({
      ok: false,
      error: { code: 'REDIS_UNAVAILABLE', message: expect.stringContaining('Redis') },
    });
    await expect(h.connect(notifier, KEYS.acme.key)).rejects.toMatchObject({
      data: { code: 'REDIS_UNAVAILABLE' },
    });
    expect(client.connected).toBe(true);

    await server.restart(); // same port, empty: nothing is persisted
    await waitFor('/ready to say 200', async () => (await ready(notifier.port)) === 200, {
      timeoutMs: 20_000,
    });
    // The socket kept its subscription (rooms live in the notifier); the batch record is gone with
    // the data, which only matters for new subscriptions.
    const after = await h.publish(a, 3);
    await waitFor('events published after the restart', () => log.has(after.at(-1)!), { timeoutMs: 20_000 });
    expect(log.ids()).toEqual([first, ...after]);
    expect(client.connected).toBe(true);
  });
});
