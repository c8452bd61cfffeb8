import { Harness, KEYS, request, waitFor } from './test-support.js';

// Replay on reconnect: what was missed, then live, with no gap and no duplicate.

const h = new Harness();
const own = new Harness();
afterAll(() => Promise.all([h.close(), own.close()]));

describe('replay', () => {
  it('a client that reconnects with its last id gets exactly the missed events, in order, then live ones', async () => {
    const notifier = await h.start();
    const a = await h.batch('acme');
    const noise = await h.batch('other');
    const first = await h.connect(notifier, KEYS.acme.key);
    await request(first.client, 'subscribe', { batchId: a });
    const seen = await h.publish(a, 5);
    await waitFor('the first five events', () => first.log.has(seen.at(-1)!));
    first.client.disconnect();

    const missed: string[] = [];
    for (let i = 0; i < 4; i++) {
      missed.push(...(await h.publish(a, 2)));
      await h.publish(noise, 3);
    }
    const again = await h.connect(notifier, KEYS.acme.key);
    expect(await request(again.client, 'subscribe', { batchId: a, lastEventId: seen.at(-1) })).toEqual({
      ok: true,
    });
    // The ack comes after the replay: the missed events are already there.
    expect(again.log.ids()).toEqual(missed);
    const live = await h.publish(a, 3);
    await waitFor('the live events', () => again.log.has(live.at(-1)!));
    expect(again.log.ids()).toEqual([...missed, ...live]);
    expect(again.log.entries.some((e) => e.name === 'replay.truncated')).toBe(false);
  });

  it('events published while the replay runs are neither lost nor duplicated', async () => {
    const notifier = await h.start();
    const a = await h.batch('acme');
    const noise = await h.batch('other');
    const [start] = await h.publish(a, 1);
    // A long backlog (mostly another batch's), so the replay takes many XRANGE chunks.
    const pipeline = h.redis.pipeline();
    for (let i = 0; i < 8000; i++) {
      const batchId = i % 8 === 0 ? a : noise;
      pipeline.xadd(
        h.events.streamKey,
        '*',
        'b',
        batchId,
        'e',
        JSON.stringify({ type: 'item.completed', batchId, at: Date.now(), data: { i } }),
      );
    }
    const backlog = (await pipeline.exec())!
      .map(([, id], i) => (i % 8 === 0 ? (id as string) : null))
      .filter((id): id is string => id !== null);

    const client = await h.connect(notifier, KEYS.acme.key);
    let acked = false;
    const live: string[] = [];
    // Publish continuously until well after the ack: some of these land while the replay runs.
    const publisher = (async () => {
      let after = 0;
      while (!acked || after++ < 20) live.push(...(await h.publish(a, 1)));
    })();
    expect(await request(client.client, 'subscribe', { batchId: a, lastEventId: start })).toEqual({
      ok: true,
    });
    acked = true;
    await publisher;
    await waitFor('the last live event', () => client.log.has(live.at(-1)!));

    const ids = client.log.ids();
    expect(ids).toEqual([...backlog, ...live]);
    expect(new Set(ids).size).toBe(ids.length);
    // The buffer path was exercised: live events reached the relay while the replay ran.
    expect(notifier.stats().heldForReplay).toBeGreaterThan(0);
  });

  it('an id older than the stream keeps brings replay.truncated first, then what is left', async () => {
    const notifier = await h.start();
    const a = await h.batch('acme');
    const ids = await h.publish(a, 10);
    // Trim exactly: the five oldest of these are gone.
    await h.redis.xtrim(h.events.streamKey, 'MAXLEN', 5);
    const client = await h.connect(notifier, KEYS.acme.key);
    expect(await request(client.client, 'subscribe', { batchId: a, lastEventId: ids[0] })).toEqual({
      ok: true,
    });
    expect(client.log.entries[0]).toEqual({
      name: 'replay.truncated',
      payload: { batchId: a, lastEventId: ids[0], oldestId: ids[5] },
    });
    expect(client.log.ids()).toEqual(ids.slice(5));

    // An id the stream still holds: no notice.
    const other = await h.connect(notifier, KEYS.acme.key);
    await request(other.client, 'subscribe', { batchId: a, lastEventId: ids[6] });
    expect(other.log.entries.map((e) => e.name)).toEqual([
      'item.completed',
      'item.completed',
      'item.completed',
    ]);
  });

  it('a replay may start from the beginning (0-0), and subscribing again replaces the replay', async () => {
    // A stream of its own: the one above was trimmed, and a replay from 0-0 would say so.
    const h = own;
    const notifier = await h.start();
    const a = await h.batch('acme');
    const ids = await h.publish(a, 4);
    const client = await h.connect(notifier, KEYS.acme.key);
    const both = await Promise.all([
      request(client.client, 'subscribe', { batchId: a, lastEventId: ids[1] }),
      request(client.client, 'subscribe', { batchId: a, lastEventId: ids[2] }),
    ]);
    expect(both).toEqual([{ ok: true }, { ok: true }]);
    const live = await h.publish(a, 2);
    await waitFor('live events', () => client.log.has(live.at(-1)!));
    // Whatever each replay sent, live events arrive once each, after every replayed one.
    const got = client.log.ids();
    expect(got.slice(-2)).toEqual(live);
    expect(got.filter((id) => live.includes(id))).toHaveLength(2);

    const fresh = await h.connect(notifier, KEYS.ops.key);
    await request(fresh.client, 'subscribe', { batchId: a, lastEventId: '0-0' });
    expect(fresh.log.ids()).toEqual([...ids, ...live]);
    expect(fresh.log.entries.some((e) => e.name === 'replay.truncated')).toBe(false);
  });
});
