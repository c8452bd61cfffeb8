/**
 * Hostile notifier (support/hostile-notifier.ts), raw Engine.IO/Socket.IO packets over a
 * WebSocket, before and after CONNECT: broken packet types, ids, JSON and namespaces, reserved
 * event names, binary attachments that do not add up, oversized frames, bursts on one connection.
 */
import { KEYS } from './support/api.js';
import { hostileNotifier } from './support/hostile-notifier.js';
import { pool } from './support/http.js';
import { rawSession } from './support/raw-websocket.js';

const stand = hostileNotifier('raw Socket.IO packets');
const { acmeBatch } = stand;

describe('hostile input to the notifier, with a well-behaved client watching throughout', () => {
  it('raw Socket.IO packets over a WebSocket, before and after CONNECT', async () => {
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
    const sessions: { frames: Parameters<typeof rawSession>[1]; token?: string | null }[] = [
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
      rawSession(stand.port, s.frames, {
        opened: stand.opened,
        ...(s.token === undefined ? {} : { token: s.token }),
      }),
    );
    stand.count(sessions.length);
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
    await stand.checkpoint();
  });

  stand.itKeptTheWatcherWhole(90);
});
