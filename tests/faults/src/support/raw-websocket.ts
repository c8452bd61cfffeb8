// Talking to the notifier below socket.io-client: raw Engine.IO/Socket.IO packets over a WebSocket,
// and raw WebSocket frames over a socket upgraded by hand (what a client library would never send).
import { connect as tcpConnect } from 'node:net';
import { sleep } from '@fleet/testing';
import WebSocket from 'ws';

export interface RawOutcome {
  messages: string[];
  binary: number;
  closeCode: number | null;
  connectReply?: string;
}

/**
 * One Engine.IO WebSocket session with raw packets: waits for the open packet, optionally sends a
 * Socket.IO CONNECT with `token` (and waits for its answer), then `frames`, then listens `waitMs`.
 */
export function rawSession(
  port: number,
  frames: (string | Buffer | { text: Buffer })[],
  options: { token?: string | null; waitMs?: number; opened?: { push(ws: WebSocket): unknown } } = {},
): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const outcome: RawOutcome = { messages: [], binary: 0, closeCode: null };
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    options.opened?.push(ws);
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
export function rawWebSocket(port: number, bytes: Buffer): Promise<{ upgraded: boolean; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
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
export function frame(
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
