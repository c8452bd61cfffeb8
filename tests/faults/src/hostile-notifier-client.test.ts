/**
 * Hostile notifier (support/hostile-notifier.ts), socket.io-client misuse: tokens that are not
 * keys, every wrong subscribe and unsubscribe shape, several arguments and no acks, unknown and
 * reserved events, binary attachments, floods, more subscriptions than allowed, payloads over
 * maxHttpBufferSize over WebSocket and polling.
 */
import { KEYS } from './support/api.js';
import { hostileNotifier } from './support/hostile-notifier.js';
import { ask, connectClient } from './support/notifier.js';

const stand = hostileNotifier('socket.io-client misuse');
const { acmeBatch, watched } = stand;

const invalidOrRefused = expect.objectContaining({
  ok: false,
  error: expect.objectContaining({
    code: expect.stringMatching(/^(INVALID_ARGUMENT|BATCH_NOT_FOUND|FORBIDDEN)$/),
  }),
});

describe('hostile input to the notifier, with a well-behaved client watching throughout', () => {
  it('socket.io-client: bad tokens, every wrong subscribe shape, unknown events, binary, no acks, floods, oversized', async () => {
    // Tokens that are not keys.
    for (const token of [
      undefined,
      '',
      42,
      { key: KEYS.ops.key },
      [KEYS.ops.key],
      'x'.repeat(10_000),
      `${KEYS.ops.key}\u0000`,
      `Bearer ${KEYS.ops.key}`,
    ]) {
      await expect(connectClient(stand.port, token)).rejects.toMatchObject({
        data: { code: 'UNAUTHORIZED' },
      });
      stand.count();
    }
    const { socket } = await stand.hostile();
    const wrongShapes: unknown[] = [
      undefined,
      null,
      0,
      1,
      -1,
      true,
      'b1',
      '',
      [],
      [{ batchId: acmeBatch }],
      {},
      { batchId: null },
      { batchId: 42 },
      { batchId: [] },
      { batchId: {} },
      { batchId: '' },
      { batchId: 'a'.repeat(65) },
      { batchId: '../etc/passwd' },
      { batchId: 'a b' },
      { batchId: 'a\u0000b' },
      { batchId: '💩' },
      { batchId: '\u202e' },
      { batchId: '__proto__' },
      { batchId: 'constructor' },
      { batchId: acmeBatch, lastEventId: 7 },
      { batchId: acmeBatch, lastEventId: '' },
      { batchId: acmeBatch, lastEventId: '1' },
      { batchId: acmeBatch, lastEventId: '-1-0' },
      { batchId: acmeBatch, lastEventId: '99999999999999999999999-0' },
      { batchId: acmeBatch, lastEventId: '1-0'.repeat(20) },
      { batchId: acmeBatch, lastEventId: null },
      { batchId: acmeBatch, extra: 1 },
      { batchId: acmeBatch, all: true },
      { all: false },
      { all: 'true' },
      { all: 1 },
      { all: true, batchId: acmeBatch },
      { all: true },
      { ALL: true },
      JSON.parse('{"__proto__":{"batchId":"x"}}'),
      JSON.parse('{"constructor":{"prototype":{"all":true}}}'),
      { batchId: 'no-such-batch' },
      { batchId: watched },
      { batchId: 'x'.repeat(12_000) },
      Buffer.from('binary'),
      { batchId: Buffer.from(acmeBatch) },
      { batchId: acmeBatch, lastEventId: Buffer.from('1-0') },
    ];
    for (const payload of wrongShapes) {
      expect(await ask(socket, 'subscribe', payload)).toEqual(invalidOrRefused);
      stand.count();
    }
    for (const payload of [
      undefined,
      null,
      'x',
      {},
      { batchId: 5 },
      { all: 'yes' },
      { batchId: acmeBatch, lastEventId: '1-0' },
      Buffer.alloc(8),
    ]) {
      expect(await ask(socket, 'unsubscribe', payload)).toMatchObject({
        ok: false,
        error: { code: 'INVALID_ARGUMENT' },
      });
      stand.count();
    }
    // Several arguments, no ack, and an ack-less subscribe to a foreign batch (its refusal is dropped).
    socket.emit('subscribe', { batchId: acmeBatch }, { batchId: watched }, 'third');
    socket.emit('subscribe', { batchId: watched });
    socket.emit('subscribe');
    socket.emit('unsubscribe');
    socket.emit(
      'subscribe',
      { batchId: acmeBatch },
      () => {},
      () => {},
    );
    stand.count(5);
    // Unknown events (with and without an ack: nothing answers them) and binary attachments.
    for (const event of [
      'foo',
      'Subscribe',
      'subscribe ',
      '__proto__',
      'constructor',
      'hasOwnProperty',
      'toString',
      'item.completed',
      'auth.revoked',
      'x'.repeat(5000),
    ]) {
      socket.emit(event, { batchId: acmeBatch });
      await expect(ask(socket, event, { a: Buffer.from([1, 2, 3]) }, 200)).rejects.toThrow();
      stand.count(2);
    }
    socket.emit('subscribe', Buffer.alloc(1000), Buffer.alloc(10), new Uint8Array([1, 2]));
    socket.emit('subscribe', { batchId: acmeBatch, nested: [Buffer.alloc(3), { deeper: Buffer.alloc(3) }] });
    stand.count(2);
    // The socket still works, in order: a valid subscribe after all of that is acknowledged.
    expect(await ask(socket, 'subscribe', { batchId: acmeBatch })).toEqual({ ok: true });
    stand.count();

    // Floods: 1000 subscribes without waiting, then one with an ack (answered after them, in order).
    const flood = await stand.hostile();
    for (let i = 0; i < 1000; i++) flood.socket.emit('subscribe', { batchId: `nope-${i}` });
    expect(await ask(flood.socket, 'subscribe', { batchId: acmeBatch }, 20_000)).toEqual({ ok: true });
    stand.count(1001);
    // More subscriptions than a socket may hold; subscribe/unsubscribe churn; replays restarted 30 times.
    const many = await stand.hostile();
    const acks = await Promise.all(
      Array.from({ length: 110 }, (_, i) =>
        ask(many.socket, 'subscribe', { batchId: `${acmeBatch}-${i}` }, 20_000),
      ),
    );
    expect(acks.filter((a) => (a as { ok: boolean }).ok).length).toBe(100);
    expect(acks.slice(100)).toEqual(
      Array(10).fill(
        expect.objectContaining({ error: expect.objectContaining({ code: 'TOO_MANY_SUBSCRIPTIONS' }) }),
      ),
    );
    stand.count(110);
    const churn = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        ask(
          flood.socket,
          i % 2 ? 'unsubscribe' : 'subscribe',
          { batchId: acmeBatch, ...(i % 4 === 0 ? { lastEventId: '0-0' } : {}) },
          20_000,
        ),
      ),
    );
    expect(churn.every((a) => (a as { ok: boolean }).ok)).toBe(true);
    stand.count(100);
    // Over maxHttpBufferSize (16 KB): the server closes that connection, over WebSocket and polling.
    for (const transports of [['websocket'], ['polling']] as const) {
      const big = await stand.hostile(KEYS.acme.key, [...transports]);
      const closed = new Promise<string>((resolve) =>
        big.socket.once('disconnect', (reason) => resolve(reason)),
      );
      big.socket.emit('subscribe', { batchId: 'x'.repeat(100_000) });
      expect(await closed).toMatch(/transport (close|error)/);
      stand.count();
    }
    await stand.checkpoint();
  });

  stand.itKeptTheWatcherWhole(1000);
});
