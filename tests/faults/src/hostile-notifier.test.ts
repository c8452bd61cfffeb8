/**
 * Issue 8, item 7 (the notifier half): malformed Socket.IO interactions — through socket.io-client
 * (every wrong subscribe shape, unknown and reserved events, binary attachments, calls without an
 * ack, floods, payloads over maxHttpBufferSize, bad tokens), raw Engine.IO/Socket.IO packets over a
 * WebSocket, raw WebSocket frames that break the protocol, and bad long-polling HTTP — against a
 * notifier in this process, while a well-behaved client keeps receiving every event of its batch
 * (published every 25 ms throughout). The notifier must never answer 5xx, never crash, and never
 * drop or disturb the well-behaved client.
 */
import { connect as tcpConnect } from 'node:net';
import type { FleetEvent } from '@fleet/contracts';
import type { RunningNotifier } from '@fleet/notifier';
import { createRedis, RedisBatchStore, RedisEventStream, waitReady } from '@fleet/redis';
import { deletePrefix, testPrefix, testRedisUrl } from '@fleet/testing';
import type { Redis } from 'ioredis';
import type { Socket as ClientSocket } from 'socket.io-client';
import WebSocket from 'ws';
import { KEYS } from './support/api.js';
import { type Answer, httpSend, pool, rawSend } from './support/http.js';
import { ask, type Client, connectClient, startTestNotifier, waitFor } from './support/notifier.js';
import { recordRow } from './support/table.js';

type Group =
  | 'socket.io-client misuse'
  | 'raw Socket.IO packets'
  | 'raw WebSocket frames'
  | 'long-polling and HTTP';
const GROUPS: Group[] = [
  'socket.io-client misuse',
  'raw Socket.IO packets',
  'raw WebSocket frames',
  'long-polling and HTTP',
];

const prefix = testPrefix('faults-notifier');
let redis: Redis;
let notifier: RunningNotifier;
let watcher: Client;
let watcherDisconnects = 0;
const watched = `watched-${Date.now().toString(36)}`;
let acmeBatch: string;
let publisher: NodeJS.Timeout | undefined;
const published: string[] = [];
const counts = new Map<Group, { interactions: number; fiveXx: number; crashes: number }>(
  GROUPS.map((g) => [g, { interactions: 0, fiveXx: 0, crashes: 0 }]),
);
const opened: (ClientSocket | WebSocket)[] = [];

const count = (group: Group, n = 1) => {
  counts.get(group)!.interactions += n;
};
const http = async (group: Group, shot: Parameters<typeof httpSend>[1]): Promise<Answer> => {
  const answer = await httpSend(notifier.port, shot);
  count(group);
  if (answer.status !== null && answer.status >= 500) counts.get(group)!.fiveXx++;
  return answer;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The well-behaved client has every event published so far, in order, once each. */
async function watcherIsWhole(): Promise<void> {
  const upTo = published.length;
  await waitFor(
    `the watcher to get all ${upTo} events so far`,
    () => watcher.events(watched).length >= upTo,
    5000,
  );
  const ids = watcher.events(watched).map((e) => e.id!);
  expect(ids.slice(0, upTo)).toEqual(published.slice(0, upTo));
  expect(new Set(ids).size).toBe(ids.length);
  expect(watcher.socket.connected).toBe(true);
}

async function checkpoint(group: Group): Promise<void> {
  const health = await httpSend(notifier.port, { method: 'GET', path: '/health', timeoutMs: 5000 });
  if (health.status !== 200) counts.get(group)!.crashes++;
  await watcherIsWhole();
}

/** A hostile socket.io-client (no reconnection); rejects with the connect_error. */
async function hostile(
  token: unknown = KEYS.acme.key,
  transports: ('websocket' | 'polling')[] = ['websocket'],
) {
  const client = await connectClient(notifier.port, token, { transports });
  opened.push(client.socket);
  return client;
}

interface RawOutcome {
  messages: string[];
  binary: number;
  closeCode: number | null;
  connectReply?: string;
}

/**
 * One Engine.IO WebSocket session with raw packets: waits for the open packet, optionally sends a
 * Socket.IO CONNECT with `token` (and waits for its answer), then `frames`, then listens `waitMs`.
 */
function rawSession(
  frames: (string | Buffer | { text: Buffer })[],
  options: { token?: string | null; waitMs?: number } = {},
): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const outcome: RawOutcome = { messages: [], binary: 0, closeCode: null };
    const ws = new WebSocket(`ws://127.0.0.1:${notifier.port}/socket.io/?EIO=4&transport=websocket`);
    opened.push(ws);
    let stage: 'open' | 'connect' | 'sent' = 'open';
    const finish = () => {
      clearTimeout(guard);
      ws.terminate();
      resolve(outcome);
    };
    const guard = setTimeout(finish, 5000);
    const sendFrames = async () => {
      stage = 'sent';
      for (const frame of frames) {
        if (ws.readyState !== WebSocket.OPEN) break;
        if (Buffer.isBuffer(frame)) ws.send(frame, { binary: true });
        else if (typeof frame === 'string') ws.send(frame);
        else ws.send(frame.text, { binary: false });
      }
      await sleep(options.waitMs ?? 150);
      finish();
    };
    ws.on('error', () => {});
    ws.on('close', (code) => {
      outcome.closeCode = code;
      finish();
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        outcome.binary++;
        return;
      }
      const text = data.toString();
      if (text === '2') ws.send('3'); // answer the server's pings like any client
      outcome.messages.push(text);
      if (stage === 'open' && text.startsWith('0')) {
        if (options.token === undefined) void sendFrames();
        else {
          stage = 'connect';
          ws.send(`40${options.token === null ? '' : JSON.stringify({ token: options.token })}`);
        }
      } else if (stage === 'connect' && /^4[04]/.test(text)) {
        outcome.connectReply = text;
        void sendFrames();
      }
    });
  });
}

/** A WebSocket upgrade by hand, then `bytes` as they are (frames a client library would never send). */
function rawWebSocket(bytes: Buffer): Promise<{ upgraded: boolean; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port: notifier.port });
    let received = '';
    let upgraded = false;
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ upgraded, closed });
    };
    const timer = setTimeout(() => finish(false), 1500);
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (!upgraded && received.includes('\r\n\r\n')) {
        upgraded = received.startsWith('HTTP/1.1 101');
        if (upgraded) socket.write(bytes);
        else finish(true);
      }
    });
    socket.on('connect', () =>
      socket.write(
        'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n' +
          'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      ),
    );
  });
}

/** A masked client frame (`fin`, `opcode`, payload) with room to break the rules. */
function frame(
  opcode: number,
  payload: Buffer,
  options: { fin?: boolean; rsv?: number; masked?: boolean; length?: bigint } = {},
): Buffer {
  const first = ((options.fin ?? true) ? 0x80 : 0) | ((options.rsv ?? 0) << 4) | opcode;
  const masked = options.masked ?? true;
  const length = options.length ?? BigInt(payload.length);
  let header: Buffer;
  if (length < 126n) header = Buffer.from([first, (masked ? 0x80 : 0) | Number(length)]);
  else if (length < 65536n) {
    header = Buffer.alloc(4);
    header.writeUInt8(first, 0);
    header.writeUInt8((masked ? 0x80 : 0) | 126, 1);
    header.writeUInt16BE(Number(length), 2);
  } else {
    header = Buffer.alloc(10);
    header.writeUInt8(first, 0);
    header.writeUInt8((masked ? 0x80 : 0) | 127, 1);
    header.writeBigUInt64BE(length, 2);
  }
  if (!masked) return Buffer.concat([header, payload]);
  const mask = Buffer.from([1, 2, 3, 4]);
  return Buffer.concat([header, mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]);
}

beforeAll(async () => {
  redis = createRedis(testRedisUrl(), { role: 'producer' });
  redis.on('error', () => {});
  await waitReady(redis);
  notifier = await startTestNotifier(prefix);
  const batches = new RedisBatchStore(redis, prefix);
  await batches.create({ id: watched, owner: 'other', pool: 'default', total: 10 });
  acmeBatch = `acme-${Date.now().toString(36)}`;
  await batches.create({ id: acmeBatch, owner: 'acme', pool: 'default', total: 10 });
  for (let i = 0; i < 110; i++)
    await batches.create({ id: `${acmeBatch}-${i}`, owner: 'acme', pool: 'default', total: 1 });

  watcher = await connectClient(notifier.port, KEYS.other.key);
  watcher.socket.on('disconnect', () => watcherDisconnects++);
  expect(await ask(watcher.socket, 'subscribe', { batchId: watched })).toEqual({ ok: true });
  const events = new RedisEventStream(redis, prefix);
  let n = 0;
  let publishing = false;
  publisher = setInterval(() => {
    if (publishing) return;
    publishing = true;
    const event: Omit<FleetEvent, 'id'> = {
      type: 'item.completed',
      batchId: watched,
      itemId: `${watched}.${n % 10}`,
      at: Date.now(),
      data: { n: n++ },
    };
    events
      .publish(event)
      .then((id) => published.push(id!))
      .catch(() => {})
      .finally(() => {
        publishing = false;
      });
  }, 25);
  await waitFor('the first events to reach the watcher', () => watcher.events(watched).length >= 3);
});

afterAll(async () => {
  clearInterval(publisher);
  for (const s of opened) (s as { close(): void }).close();
  watcher?.socket.close();
  await notifier?.close();
  await deletePrefix(redis, prefix).catch(() => {});
  redis?.disconnect();
  for (const g of GROUPS) {
    const c = counts.get(g)!;
    recordRow({
      scenario: `hostile notifier: ${g}`,
      repetitions: c.interactions,
      items: 0,
      fiveXx: c.fiveXx,
      crashes: c.crashes,
    });
  }
});

const invalidOrRefused = expect.objectContaining({
  ok: false,
  error: expect.objectContaining({
    code: expect.stringMatching(/^(INVALID_ARGUMENT|BATCH_NOT_FOUND|FORBIDDEN)$/),
  }),
});

describe('hostile input to the notifier, with a well-behaved client watching throughout', () => {
  it('socket.io-client: bad tokens, every wrong subscribe shape, unknown events, binary, no acks, floods, oversized', async () => {
    const g: Group = 'socket.io-client misuse';
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
      await expect(connectClient(notifier.port, token)).rejects.toMatchObject({
        data: { code: 'UNAUTHORIZED' },
      });
      count(g);
    }
    const { socket } = await hostile();
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
      count(g);
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
      count(g);
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
    count(g, 5);
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
      count(g, 2);
    }
    socket.emit('subscribe', Buffer.alloc(1000), Buffer.alloc(10), new Uint8Array([1, 2]));
    socket.emit('subscribe', { batchId: acmeBatch, nested: [Buffer.alloc(3), { deeper: Buffer.alloc(3) }] });
    count(g, 2);
    // The socket still works, in order: a valid subscribe after all of that is acknowledged.
    expect(await ask(socket, 'subscribe', { batchId: acmeBatch })).toEqual({ ok: true });
    count(g);

    // Floods: 1000 subscribes without waiting, then one with an ack (answered after them, in order).
    const flood = await hostile();
    for (let i = 0; i < 1000; i++) flood.socket.emit('subscribe', { batchId: `nope-${i}` });
    expect(await ask(flood.socket, 'subscribe', { batchId: acmeBatch }, 20_000)).toEqual({ ok: true });
    count(g, 1001);
    // More subscriptions than a socket may hold; subscribe/unsubscribe churn; replays restarted 30 times.
    const many = await hostile();
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
    count(g, 110);
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
    count(g, 100);
    // Over maxHttpBufferSize (16 KB): the server closes that connection, over WebSocket and polling.
    for (const transports of [['websocket'], ['polling']] as const) {
      const big = await hostile(KEYS.acme.key, [...transports]);
      const closed = new Promise<string>((resolve) =>
        big.socket.once('disconnect', (reason) => resolve(reason)),
      );
      big.socket.emit('subscribe', { batchId: 'x'.repeat(100_000) });
      expect(await closed).toMatch(/transport (close|error)/);
      count(g);
    }
    await checkpoint(g);
  });

  it('raw Socket.IO packets over a WebSocket, before and after CONNECT', async () => {
    const g: Group = 'raw Socket.IO packets';
    const token = KEYS.acme.key;
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const before: string[] = [
      'zzz',
      '',
      '4',
      '40null',
      '40[1,2]',
      '40"token"',
      '40{bad json',
      `40{"token":${deep}}`,
      '40{"token":123}',
      '40{"token":{"$gt":""}}',
      `40{"token":"${'x'.repeat(10_000)}"}`,
      `40/nope,{"token":"${token}"}`,
      '40/admin,',
      '42["subscribe",{"batchId":"x"}]',
      '41',
      '43[]',
      '44{}',
      '45-[]',
      '47',
      '2',
      '3',
      '5',
      '6',
      '8',
      '9',
      '1',
      '0',
      '4'.repeat(100),
    ];
    const afterConnect: string[] = [
      '42',
      '42[',
      '42{}',
      '42[]',
      '42[1]',
      '42[null]',
      '42["subscribe"',
      '42"subscribe"',
      '42[{}]',
      '42[["subscribe"]]',
      '42["subscribe"]',
      '421["subscribe"]',
      `421["subscribe",{"batchId":"${acmeBatch}"}]`,
      '4299999999999999999999["subscribe",{}]',
      '42-1["subscribe",{}]',
      '421.5["subscribe",{}]',
      '42abc["subscribe",{}]',
      '42["subscribe",{"__proto__":{"batchId":"x"}}]',
      '42["__proto__",{}]',
      '42["constructor"]',
      '42["hasOwnProperty",1]',
      '42["toString"]',
      '42["connect"]',
      '42["disconnect"]',
      '42["connect_error",{}]',
      '42["disconnecting"]',
      '42["newListener","subscribe"]',
      '42["removeListener","subscribe"]',
      '42["error",{}]',
      `421["subscribe",${deep}]`,
      `42["${'e'.repeat(10_000)}"]`,
      '431[]',
      '431[{"ok":true}]',
      '43',
      '44{"message":"x"}',
      `40{"token":"${token}"}`,
      '42/nope,["subscribe",{}]',
      '461-[{"_placeholder":true,"num":0}]',
      '45-["subscribe"]',
      '45abc-["x"]',
      '4',
      '40',
      '4\u0000',
      '4\ud800',
      `42["subscribe",{"batchId":"${'a'.repeat(15_000)}"}]`,
      `4${'x'.repeat(17_000)}`,
      '1',
    ];
    const sessions: { frames: Parameters<typeof rawSession>[0]; token?: string | null }[] = [
      ...before.map((f) => ({ frames: [f] })),
      ...afterConnect.map((f) => ({ frames: [f], token })),
      { frames: [], token: null },
      { frames: [], token: 'not-a-key' },
      // Binary attachments: the right number, too few, out of range, announced by the millions, unannounced.
      { frames: ['451-["subscribe",{"_placeholder":true,"num":0}]', Buffer.from([1, 2, 3])], token },
      {
        frames: [
          '4512-["subscribe",{"_placeholder":true,"num":0}]',
          Buffer.from([1, 2, 3]),
          Buffer.from([4]),
        ],
        token,
      },
      { frames: ['451-["subscribe",{"_placeholder":true,"num":5}]', Buffer.from([1])], token },
      { frames: ['452-["subscribe",{"_placeholder":true,"num":0}]', Buffer.from([1])], token },
      { frames: ['451-["subscribe",{"_placeholder":true,"num":"0"}]', Buffer.from([1])], token },
      { frames: ['451-["subscribe",{"_placeholder":true}]', Buffer.from([1])], token },
      { frames: ['4599999999-["x"]', Buffer.alloc(10), Buffer.alloc(10), Buffer.alloc(10)], token },
      { frames: [Buffer.from([0, 1, 2, 3])], token },
      { frames: [Buffer.alloc(20_000)], token },
      { frames: [{ text: Buffer.from([0x34, 0x32, 0xff, 0xfe, 0xc0]) }], token },
      // Bursts of packets on one connection.
      { frames: Array.from({ length: 500 }, (_, i) => `42["subscribe",{"batchId":"nope-${i}"}]`), token },
      {
        frames: Array.from(
          { length: 200 },
          (_, i) => `42${i}["subscribe",{"batchId":"${acmeBatch}","lastEventId":"0-0"}]`,
        ),
        token,
      },
      { frames: Array.from({ length: 300 }, () => '2'), token },
    ];
    const outcomes = await pool(sessions, 10, (s) =>
      rawSession(s.frames, s.token === undefined ? {} : { token: s.token }),
    );
    count(g, sessions.length);
    // A bad CONNECT is refused with a CONNECT_ERROR (44) or by closing; a good one is accepted.
    const refused = outcomes.filter(
      (_o, i) => sessions[i]!.token === null || sessions[i]!.token === 'not-a-key',
    );
    for (const o of refused) expect(o.connectReply ?? 'closed').toMatch(/^(44|closed)/);
    const accepted = outcomes.filter((_, i) => sessions[i]!.token === token);
    expect(accepted.every((o) => o.connectReply?.startsWith('40'))).toBe(true);
    // Frames over maxHttpBufferSize (16 KB) close the connection with 1009 (message too big).
    const oversized = sessions.flatMap((s, i) =>
      s.frames.some((f) => (typeof f === 'string' ? f.length : Buffer.isBuffer(f) ? f.length : 0) > 16_384)
        ? [outcomes[i]!.closeCode]
        : [],
    );
    expect(oversized.length).toBeGreaterThanOrEqual(4);
    expect(oversized.every((code) => code === 1009)).toBe(true);
    // A well-formed request among them is still answered: a raw subscribe with an ack id gets its ack.
    const valid = sessions.findIndex((s) => s.frames[0] === `421["subscribe",{"batchId":"${acmeBatch}"}]`);
    expect(outcomes[valid]!.messages).toContain('431[{"ok":true}]');
    await checkpoint(g);
  });

  it('raw WebSocket frames that break the protocol', async () => {
    const g: Group = 'raw WebSocket frames';
    const cases: Buffer[] = [
      frame(0x1, Buffer.from('42["subscribe",{}]'), { masked: false }), // clients must mask
      frame(0x3, Buffer.from('x')), // reserved opcode
      frame(0x1, Buffer.from('4'), { rsv: 0b100 }), // RSV1 without an extension
      frame(0x9, Buffer.alloc(200)), // a control frame over 125 bytes
      frame(0x8, Buffer.from([0x03])), // a close with a 1-byte body
      frame(0x1, Buffer.from('4'), { fin: false }), // a fragment never finished
      frame(0x0, Buffer.from('continuation with nothing before')),
      frame(0x1, Buffer.from('4'), { length: 2n ** 63n - 1n }), // announces 8 EB
      frame(0x2, Buffer.alloc(0), { length: 1_000_000n }), // announces 1 MB, over maxPayload
      frame(0x1, Buffer.from([0xff, 0xfe, 0xfd])), // a text frame that is not UTF-8
      Buffer.concat([frame(0x1, Buffer.from('2')), Buffer.from('garbage after a frame')]),
      Buffer.from('not a websocket frame at all\r\n\r\n'),
      Buffer.concat(Array.from({ length: 200 }, () => frame(0x9, Buffer.from('ping')))), // a ping storm
    ];
    const outcomes = await pool(cases, 6, rawWebSocket);
    count(g, cases.length);
    expect(outcomes.every((o) => o.upgraded)).toBe(true);
    await checkpoint(g);
  });

  it('long-polling and plain HTTP: bad sessions, protocols, bodies and origins never get a 5xx', async () => {
    const g: Group = 'long-polling and HTTP';
    const poll = (query: string) => `/socket.io/?EIO=4&transport=polling${query}`;
    /** A polling session as a client holds it: opened, with a GET waiting for packets. */
    const session = async () => {
      const open = await httpSend(notifier.port, { method: 'GET', path: poll('') });
      expect(open.status).toBe(200);
      const sid = (JSON.parse(open.body.slice(1)) as { sid: string }).sid;
      const waiting = httpSend(notifier.port, { method: 'GET', path: poll(`&sid=${sid}`), timeoutMs: 5000 });
      await sleep(30);
      return { sid, waiting };
    };
    const shots: Parameters<typeof httpSend>[1][] = [
      { method: 'GET', path: '/socket.io/?EIO=3&transport=polling' },
      { method: 'GET', path: '/socket.io/?EIO=99&transport=polling' },
      { method: 'GET', path: '/socket.io/?EIO=4&transport=carrier-pigeon' },
      { method: 'GET', path: '/socket.io/' },
      { method: 'GET', path: '/socket.io/?EIO=4&transport=polling&sid=bogus' },
      { method: 'GET', path: `/socket.io/?EIO=4&transport=polling&sid=${'s'.repeat(5000)}` },
      { method: 'GET', path: '/socket.io/?EIO=4&transport=polling&sid=%ff%00' },
      { method: 'GET', path: '/socket.io/?EIO=4&transport=websocket' }, // websocket without an upgrade
      { method: 'POST', path: '/socket.io/?EIO=4&transport=polling', body: '40' }, // POST without a session
      { method: 'POST', path: poll('&sid=bogus'), body: '40' },
      { method: 'OPTIONS', path: poll('') },
      { method: 'GET', path: poll(''), headers: { origin: 'http://evil.example' } },
      { method: 'GET', path: poll(''), headers: { origin: 'null' } },
      { method: 'GET', path: poll(''), headers: { origin: '%%%' } },
      { method: 'GET', path: poll('&j=0') },
      { method: 'GET', path: poll('&b64=1') },
      { method: 'GET', path: '/socket.io/?EIO=4&transport=polling&EIO=3' },
      { method: 'GET', path: '/health' },
      { method: 'GET', path: '/ready' },
      { method: 'GET', path: '/health?x=%ff' },
      { method: 'POST', path: '/health', body: '{}' },
      { method: 'GET', path: '/nothing/here' },
      { method: 'GET', path: '/../../etc/passwd' },
      { method: 'FOO', path: '/health' },
      { method: 'GET', path: '/health', headers: { 'x-big': 'b'.repeat(20_000) } },
      { method: 'GET', path: '/socket.io/?EIO=4&transport=polling', headers: { cookie: 'io=%ff%00;;' } },
    ];
    const answers = await pool(shots, 8, (shot) => http(g, { ...shot, timeoutMs: 10_000 }));
    // Bad requests on a live session (each its own, with its GET waiting, as a real client has).
    const onSession: ((sid: string) => Parameters<typeof httpSend>[1])[] = [
      (sid) => ({ method: 'POST', path: poll(`&sid=${sid}`), body: 'x'.repeat(20_000) }),
      (sid) => ({ method: 'POST', path: poll(`&sid=${sid}`), body: Buffer.from([0xff, 0xfe, 0x00]) }),
      (sid) => ({ method: 'POST', path: poll(`&sid=${sid}`), body: '\u001e\u001e\u001e' }),
      (sid) => ({
        method: 'POST',
        path: poll(`&sid=${sid}`),
        body: '',
        headers: { 'content-type': 'text/plain' },
      }),
      (sid) => ({
        method: 'POST',
        path: poll(`&sid=${sid}`),
        body: `40{"token":"${KEYS.acme.key}"}\u001e42["subscribe",`,
      }),
      (sid) => ({ method: 'PUT', path: poll(`&sid=${sid}`), body: '40' }),
      (sid) => ({ method: 'DELETE', path: poll(`&sid=${sid}`) }),
      (sid) => ({ method: 'GET', path: poll(`&sid=${sid}`) }), // a second GET while one waits
      (sid) => ({ method: 'GET', path: `/socket.io/?EIO=4&transport=websocket&sid=${sid}` }), // upgrade without Upgrade
    ];
    for (const make of onSession) {
      const { sid, waiting } = await session();
      answers.push(await http(g, { ...make(sid), timeoutMs: 5000 }));
      // Close the session as a client would (if it still lives), which answers the waiting GET.
      await httpSend(notifier.port, { method: 'POST', path: poll(`&sid=${sid}`), body: '1' });
      await waiting;
    }
    expect(answers.filter((a) => a.status !== null && a.status >= 500)).toEqual([]);
    expect(answers.filter((a) => a.status === null).map((a) => a.error)).toEqual([]);
    // Malformed HTTP on the notifier's port.
    for (const bytes of [
      'GARBAGE\r\n\r\n',
      'GET /health HTTP/9.9\r\n\r\n',
      'GET /socket.io/?EIO=4 HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
      'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
    ]) {
      const raw = await rawSend(notifier.port, bytes, { timeoutMs: 1000 });
      count(g);
      if (raw.some((a) => a.status !== null && a.status >= 500)) counts.get(g)!.fiveXx++;
    }
    await checkpoint(g);
  });

  it('kept the well-behaved client connected and whole throughout, and still serves a new one', async () => {
    const total = [...counts.values()].reduce((sum, c) => sum + c.interactions, 0);
    expect(total).toBeGreaterThanOrEqual(100);
    expect([...counts.values()].map((c) => c.fiveXx + c.crashes)).toEqual(GROUPS.map(() => 0));
    await watcherIsWhole();
    expect(watcherDisconnects).toBe(0);
    expect(published.length).toBeGreaterThan(20);
    const fresh = await connectClient(notifier.port, KEYS.other.key);
    opened.push(fresh.socket);
    expect(await ask(fresh.socket, 'subscribe', { batchId: watched })).toEqual({ ok: true });
    const next = published.length;
    await waitFor('the new client to get a live event', () =>
      fresh.events(watched).some((e) => e.id === published[next]),
    );
  });
});
