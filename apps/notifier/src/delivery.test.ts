import { Harness, KEYS, request, waitFor } from './test-support.js';

// Live delivery: rooms per batch, tenants kept apart, several instances each reading the stream.

const h = new Harness();
afterAll(() => h.close());

describe('live delivery', () => {
  it('a subscriber gets every event of its batch in stream order, and nothing of other batches or tenants', async () => {
    const notifier = await h.start();
    const mine = await h.batch('acme');
    const other = await h.batch('acme');
    const theirs = await h.batch('other');
    const acme = await h.connect(notifier, KEYS.acme.key);
    const beta = await h.connect(notifier, KEYS.other.key);
    expect(await request(acme.client, 'subscribe', { batchId: mine })).toEqual({ ok: true });
    expect(await request(beta.client, 'subscribe', { batchId: theirs })).toEqual({ ok: true });

    const expected: string[] = [];
    for (let round = 0; round < 10; round++) {
      expected.push(...(await h.publish(mine, 3)));
      await h.publish(other, 2);
      await h.publish(theirs, 1);
    }
    // Markers published last: per-socket delivery follows stream order, so once a client holds
    // its marker, anything it should not have had would already be there.
    expected.push(...(await h.publish(mine, 1, 'batch.completed')));
    const theirsDone = (await h.publish(theirs, 1, 'batch.completed'))[0]!;
    await waitFor('acme has its batch.completed', () => acme.log.has(expected.at(-1)!));
    await waitFor('beta has its batch.completed', () => beta.log.has(theirsDone));

    expect(acme.log.ids()).toEqual(expected);
    expect(acme.log.events().every((e) => e.batchId === mine)).toBe(true);
    expect(acme.log.entries.map((e) => e.name)).toEqual([
      ...Array(30).fill('item.completed'),
      'batch.completed',
    ]);
    expect(acme.log.events()[0]).toMatchObject({
      id: expected[0],
      type: 'item.completed',
      batchId: mine,
      itemId: `${mine}.0`,
      data: { n: 0 },
    });
    expect(beta.log.events().every((e) => e.batchId === theirs)).toBe(true);
    expect(beta.log.ids()).toHaveLength(11);
  });

  it('an admin watching all gets every event, profile events included, each once', async () => {
    const notifier = await h.start();
    const a = await h.batch('acme');
    const ops = await h.connect(notifier, KEYS.ops.key);
    expect(await request(ops.client, 'subscribe', { all: true })).toEqual({ ok: true });
    // Also in the batch's room: a broadcast to both rooms still reaches the socket once.
    expect(await request(ops.client, 'subscribe', { batchId: a })).toEqual({ ok: true });
    const ids = await h.publish(a, 3);
    const profileEvent = await h.events.publish({
      type: 'profile.quarantined',
      profileId: 'p1',
      at: Date.now(),
      data: { reason: 'test' },
    });
    ids.push(profileEvent!);
    await waitFor('the profile event', () => ops.log.has(profileEvent!));
    expect(ops.log.ids()).toEqual(ids);
    expect(ops.log.entries.at(-1)).toMatchObject({
      name: 'profile.quarantined',
      payload: { profileId: 'p1' },
    });
  });

  it('unsubscribe stops a batch’s events', async () => {
    const notifier = await h.start();
    const a = await h.batch('acme');
    const b = await h.batch('acme');
    const acme = await h.connect(notifier, KEYS.acme.key);
    await request(acme.client, 'subscribe', { batchId: a });
    await request(acme.client, 'subscribe', { batchId: b });
    const [first] = await h.publish(a, 1);
    await waitFor('the first event', () => acme.log.has(first!));
    expect(await request(acme.client, 'unsubscribe', { batchId: a })).toEqual({ ok: true });
    const missed = await h.publish(a, 2);
    const [marker] = await h.publish(b, 1);
    await waitFor('the marker of the other batch', () => acme.log.has(marker!));
    expect(acme.log.ids()).toEqual([first, marker]);

    // Requests of a socket are handled in order: subscribe then unsubscribe, sent without waiting
    // for the first answer, end unsubscribed (the subscribe's batch lookup is slower than that).
    acme.client.emit('subscribe', { batchId: a, lastEventId: first });
    expect(await request(acme.client, 'unsubscribe', { batchId: a })).toEqual({ ok: true });
    await h.publish(a, 2);
    const [marker2] = await h.publish(b, 1);
    await waitFor('the second marker', () => acme.log.has(marker2!));
    // Only the subscribe's replay (the two missed above), nothing live after the unsubscribe.
    expect(acme.log.ids().slice(2)).toEqual([...missed, marker2]);
  });

  it('two instances each read the stream: every client gets every event of its batch exactly once', async () => {
    const one = await h.start();
    const two = await h.start();
    const a = await h.batch('acme');
    const b = await h.batch('other');
    const clients = [
      { batch: a, ...(await h.connect(one, KEYS.acme.key)) },
      { batch: a, ...(await h.connect(two, KEYS.acme.key)) },
      { batch: a, ...(await h.connect(two, KEYS.ops.key)) },
      { batch: b, ...(await h.connect(one, KEYS.other.key)) },
      { batch: b, ...(await h.connect(two, KEYS.other.key)) },
    ];
    for (const c of clients)
      expect(await request(c.client, 'subscribe', { batchId: c.batch })).toEqual({ ok: true });

    const expected: Record<string, string[]> = { [a]: [], [b]: [] };
    for (let i = 0; i < 20; i++) {
      expected[a]!.push(...(await h.publish(a, 2)));
      expected[b]!.push(...(await h.publish(b, 1)));
    }
    for (const [i, c] of clients.entries()) {
      await waitFor(`client ${i} has its last event`, () => c.log.has(expected[c.batch]!.at(-1)!));
      expect(c.log.ids()).toEqual(expected[c.batch]);
    }
  });
});
