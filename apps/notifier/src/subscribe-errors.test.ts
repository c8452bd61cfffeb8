import { MAX_SUBSCRIPTIONS_PER_SOCKET } from './protocol.js';
import { Harness, KEYS, request, waitFor } from './test-support.js';

// What a client may ask, and the documented refusals. No request, however bad, stops the server.

const h = new Harness();
afterAll(() => h.close());

const invalid = expect.objectContaining({
  ok: false,
  error: expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.any(String) }),
});

describe('subscribe and unsubscribe refusals', () => {
  const malformed: [string, unknown][] = [
    ['a string', 'b1'],
    ['a number', 42],
    ['null', null],
    ['an array', [{ batchId: 'b1' }]],
    ['batchId of the wrong type', { batchId: 42 }],
    ['lastEventId of the wrong type', { batchId: 'b1', lastEventId: 17 }],
    ['an unknown field', { batchId: 'b1', since: '1-0' }],
    ['all with a replay id', { all: true, lastEventId: '1-0' }],
    ['all: false', { all: false }],
    ['a batch id with bad characters', { batchId: '../b1' }],
    ['a stream id that is not one', { batchId: 'b1', lastEventId: 'yesterday' }],
    ['a stream id past 64 bits', { batchId: 'b1', lastEventId: '18446744073709551616-0' }],
    ['a huge string', { batchId: 'x'.repeat(12_000) }],
    ['nothing at all', {}],
  ];

  let shared: Awaited<ReturnType<Harness['connect']>>;
  beforeAll(async () => {
    shared = await h.connect(await h.start(), KEYS.ops.key);
  });

  it.each(malformed)('subscribe with %s → INVALID_ARGUMENT', async (_what, payload) => {
    expect(await request(shared.client, 'subscribe', payload)).toEqual(invalid);
    expect(shared.client.connected).toBe(true);
  });

  it('says which field is wrong', async () => {
    const notifier = await h.start();
    const { client } = await h.connect(notifier, KEYS.acme.key);
    const ack = await request(client, 'subscribe', { batchId: 'b1', lastEventId: 'nope' });
    expect(ack).toEqual({
      ok: false,
      error: {
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('lastEventId'),
        details: [{ field: 'lastEventId', message: expect.stringContaining('stream id') }],
      },
    });
    const unsub = await request(client, 'unsubscribe', { batchId: 'b1', lastEventId: '1-0' });
    expect(unsub).toEqual(invalid);
    expect(await request(client, 'unsubscribe', 7)).toEqual(invalid);
  });

  it('a batch that does not exist and a batch of another tenant get the same BATCH_NOT_FOUND', async () => {
    const notifier = await h.start();
    const acmeBatch = await h.batch('acme');
    const ownerless = await h.batch(null);
    const { client } = await h.connect(notifier, KEYS.other.key);
    const foreign = await request(client, 'subscribe', { batchId: acmeBatch });
    const unknown = await request(client, 'subscribe', { batchId: 'no-such-batch' });
    expect(foreign).toEqual({
      ok: false,
      error: { code: 'BATCH_NOT_FOUND', message: `no batch "${acmeBatch}" for this API key` },
    });
    expect(unknown).toEqual({
      ok: false,
      error: { code: 'BATCH_NOT_FOUND', message: 'no batch "no-such-batch" for this API key' },
    });
    // A batch made without a key belongs to no tenant: admins only.
    expect(await request(client, 'subscribe', { batchId: ownerless })).toMatchObject({
      error: { code: 'BATCH_NOT_FOUND' },
    });
    // With a replay id too: nothing of the batch is sent.
    await h.publish(acmeBatch, 2);
    const again = await h.connect(notifier, KEYS.other.key);
    expect(
      await request(again.client, 'subscribe', { batchId: acmeBatch, lastEventId: '0-0' }),
    ).toMatchObject({ error: { code: 'BATCH_NOT_FOUND' } });
    expect(again.log.entries).toEqual([]);

    const ops = await h.connect(notifier, KEYS.ops.key);
    expect(await request(ops.client, 'subscribe', { batchId: acmeBatch })).toEqual({ ok: true });
    expect(await request(ops.client, 'subscribe', { batchId: ownerless })).toEqual({ ok: true });
  });

  it('{all: true} is for admin keys: a user key gets FORBIDDEN', async () => {
    const notifier = await h.start();
    const { client } = await h.connect(notifier, KEYS.acme.key);
    expect(await request(client, 'subscribe', { all: true })).toEqual({
      ok: false,
      error: { code: 'FORBIDDEN', message: 'only admin keys may subscribe to all events' },
    });
    const ops = await h.connect(notifier, KEYS.ops.key);
    expect(await request(ops.client, 'subscribe', { all: true })).toEqual({ ok: true });
    expect(await request(ops.client, 'unsubscribe', { all: true })).toEqual({ ok: true });
  });

  it(`a socket may watch at most ${MAX_SUBSCRIPTIONS_PER_SOCKET} batches`, async () => {
    const notifier = await h.start();
    const { client } = await h.connect(notifier, KEYS.acme.key);
    const ids = await Promise.all(
      Array.from({ length: MAX_SUBSCRIPTIONS_PER_SOCKET + 1 }, () => h.batch('acme', 1)),
    );
    for (const id of ids.slice(0, -1))
      expect(await request(client, 'subscribe', { batchId: id })).toEqual({ ok: true });
    // The same batch again takes no new place.
    expect(await request(client, 'subscribe', { batchId: ids[0] })).toEqual({ ok: true });
    expect(await request(client, 'subscribe', { batchId: ids.at(-1) })).toMatchObject({
      ok: false,
      error: { code: 'TOO_MANY_SUBSCRIPTIONS' },
    });
    await request(client, 'unsubscribe', { batchId: ids[0] });
    expect(await request(client, 'subscribe', { batchId: ids.at(-1) })).toEqual({ ok: true });
  });

  it('requests without an ack function, and messages over the size limit, do not disturb anyone else', async () => {
    const notifier = await h.start();
    const a = await h.batch('acme');
    const other = await h.connect(notifier, KEYS.acme.key);
    expect(await request(other.client, 'subscribe', { batchId: a })).toEqual({ ok: true });

    const rude = await h.connect(notifier, KEYS.acme.key);
    rude.client.emit('subscribe', { batchId: a }); // valid, no ack: it is subscribed all the same
    rude.client.emit('subscribe', { nonsense: true });
    rude.client.emit('subscribe');
    rude.client.emit('unsubscribe', null);
    rude.client.emit('no-such-event', { batchId: a });
    // The same socket still gets answers, in order after the ones it sent without an ack.
    expect(await request(rude.client, 'subscribe', 'x')).toEqual(invalid);
    const [first] = await h.publish(a, 1);
    await waitFor('the event on the rude socket', () => rude.log.has(first!));

    // Over maxHttpBufferSize (16 KB): Engine.IO closes that connection, nobody else's.
    const huge = await h.connect(notifier, KEYS.acme.key);
    const closed = new Promise<string>((resolve) =>
      huge.client.once('disconnect', (reason) => resolve(reason)),
    );
    huge.client.emit('subscribe', { batchId: 'y'.repeat(40_000) });
    expect(await closed).toBe('transport close');

    const [second] = await h.publish(a, 1);
    await waitFor('the event on the other socket', () => other.log.has(second!));
    expect(other.log.ids()).toEqual([first, second]);
    expect(other.client.connected).toBe(true);
  });
});
