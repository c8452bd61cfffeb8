/**
 * Hostile notifier (support/hostile-notifier.ts), raw WebSocket frames that break the protocol,
 * sent on a socket upgraded by hand: unmasked, reserved opcodes and bits, oversized control
 * frames, unfinished fragments, absurd lengths, text that is not UTF-8, a ping storm.
 */
import { hostileNotifier } from './support/hostile-notifier.js';
import { pool } from './support/http.js';
import { frame, rawWebSocket } from './support/raw-websocket.js';

const stand = hostileNotifier('raw WebSocket frames');

describe('hostile input to the notifier, with a well-behaved client watching throughout', () => {
  it('raw WebSocket frames that break the protocol', async () => {
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
    const outcomes = await pool(cases, 6, (bytes) => rawWebSocket(stand.port, bytes));
    stand.count(cases.length);
    expect(outcomes.every((o) => o.upgraded)).toBe(true);
    await stand.checkpoint();
  });

  stand.itKeptTheWatcherWhole(13);
});
