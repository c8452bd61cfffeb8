import { batchBody, KEYS } from '../api.js';
import type { CorpusContext, Shot } from './shot.js';

/** Malformed HTTP that no client library would send. */
function rawRequests(
  c: CorpusContext,
): { kind: string; bytes: (string | Buffer)[]; end?: boolean; timeoutMs?: number }[] {
  const auth = `Authorization: Bearer ${KEYS.acme.key}\r\n`;
  const host = `Host: 127.0.0.1:${c.port}\r\n`;
  const json = JSON.stringify(batchBody(1));
  return [
    { kind: 'garbage line', bytes: ['GARBAGE\r\n\r\n'] },
    {
      kind: 'binary noise',
      bytes: [Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37 + 11) % 256))],
    },
    {
      kind: 'TLS ClientHello on plain HTTP',
      bytes: [Buffer.from('16030100a5010000a10303', 'hex')],
      end: true,
    },
    { kind: 'HTTP/2 preface', bytes: ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'] },
    { kind: 'HTTP/9.9', bytes: [`GET /health HTTP/9.9\r\n${host}\r\n`] },
    { kind: 'HTTP/0.9 request line', bytes: ['GET /health\r\n\r\n'] },
    { kind: 'unknown method', bytes: [`FOO /health HTTP/1.1\r\n${host}\r\n`] },
    { kind: 'lowercase method', bytes: [`get /health HTTP/1.1\r\n${host}\r\n`] },
    { kind: 'no Host on HTTP/1.1', bytes: ['GET /health HTTP/1.1\r\n\r\n'] },
    { kind: 'two Hosts', bytes: [`GET /health HTTP/1.1\r\n${host}${host}\r\n`] },
    { kind: 'HTTP/1.0 without Host', bytes: ['GET /health HTTP/1.0\r\n\r\n'] },
    {
      kind: 'absolute-form URI',
      bytes: [`GET http://evil.example/v1/batches HTTP/1.1\r\n${host}${auth}\r\n`],
    },
    { kind: 'asterisk-form GET', bytes: [`GET * HTTP/1.1\r\n${host}\r\n`] },
    { kind: 'OPTIONS *', bytes: [`OPTIONS * HTTP/1.1\r\n${host}\r\n`] },
    { kind: 'CONNECT tunnel', bytes: [`CONNECT 127.0.0.1:22 HTTP/1.1\r\n${host}\r\n`] },
    { kind: 'header without a colon', bytes: [`GET /health HTTP/1.1\r\n${host}Bad Header\r\n\r\n`] },
    {
      kind: 'NUL in a header value',
      bytes: [`GET /v1/batches HTTP/1.1\r\n${host}X-A: a\u0000b\r\n${auth}\r\n`],
    },
    {
      kind: 'CR inside a header value',
      bytes: [`GET /v1/batches HTTP/1.1\r\n${host}X-A: a\rb\r\n${auth}\r\n`],
    },
    {
      kind: 'obs-fold header',
      bytes: [`GET /v1/batches HTTP/1.1\r\n${host}${auth}X-Folded: a\r\n  b\r\n\r\n`],
    },
    {
      kind: 'space before the colon',
      bytes: [`GET /v1/batches HTTP/1.1\r\n${host}Authorization : Bearer ${KEYS.acme.key}\r\n\r\n`],
    },
    { kind: 'bare LF line ends', bytes: [`GET /health HTTP/1.1\nHost: x\n\n`] },
    { kind: 'NUL in the path', bytes: [`GET /v1/batches/a\u0000b HTTP/1.1\r\n${host}${auth}\r\n`] },
    { kind: 'space in the path', bytes: [`GET /v1/batches/a b HTTP/1.1\r\n${host}${auth}\r\n`] },
    {
      kind: 'invalid UTF-8 in the path',
      bytes: [
        Buffer.concat([
          Buffer.from('GET /v1/batches/'),
          Buffer.from([0xc3, 0x28, 0xff]),
          Buffer.from(` HTTP/1.1\r\n${host}${auth}\r\n`),
        ]),
      ],
    },
    { kind: 'backslashes in the path', bytes: [`GET \\v1\\batches HTTP/1.1\r\n${host}${auth}\r\n`] },
    {
      kind: 'a 70 KB request line',
      bytes: [`GET /v1/batches?q=${'a'.repeat(70_000)} HTTP/1.1\r\n${host}\r\n`],
    },
    {
      kind: '3000 headers',
      bytes: [
        `GET /health HTTP/1.1\r\n${host}${Array.from({ length: 3000 }, (_, i) => `X-${i}: ${i}\r\n`).join('')}\r\n`,
      ],
    },
    {
      kind: 'Content-Length and chunked together',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      ],
    },
    {
      kind: 'two different Content-Lengths',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 4\r\n\r\n{}`,
      ],
    },
    {
      kind: 'negative Content-Length',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: -5\r\n\r\n{}`,
      ],
    },
    {
      kind: 'Content-Length not a number',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: abc\r\n\r\n{}`,
      ],
    },
    {
      kind: 'Content-Length of 2^64',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 18446744073709551616\r\n\r\n{}`,
      ],
    },
    {
      kind: 'Content-Length larger than the body',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n${json}`,
      ],
      timeoutMs: 600,
    },
    {
      kind: 'Content-Length larger than the body, then the client half-closes',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n${json}`,
      ],
      end: true,
    },
    {
      kind: 'Content-Length smaller than the body',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 10\r\n\r\n${json}`,
      ],
    },
    {
      kind: 'Content-Length 0 with a body',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 0\r\n\r\n${json}`,
      ],
    },
    {
      kind: 'a body on GET with Content-Length',
      bytes: [
        `GET /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 9\r\n\r\n{"a":"b"}`,
      ],
    },
    {
      kind: 'chunk size not hex',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      ],
    },
    {
      kind: 'chunk larger than announced',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{"a":1}\r\n0\r\n\r\n`,
      ],
    },
    {
      kind: 'chunked without the last chunk',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n`,
      ],
      timeoutMs: 600,
    },
    {
      kind: 'huge chunk size',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n{}\r\n0\r\n\r\n`,
      ],
    },
    {
      kind: 'chunk extensions and trailers',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2;ext="x"\r\n{}\r\n0\r\nX-Trailer: a\r\n\r\n`,
      ],
    },
    {
      kind: 'Transfer-Encoding: gzip, chunked',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
      ],
    },
    {
      kind: 'Transfer-Encoding: chunked, identity',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked, identity\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
      ],
    },
    {
      kind: 'smuggled second request',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /v1/keys HTTP/1.1\r\n${host}${auth}\r\n`,
      ],
    },
    { kind: 'valid then garbage, pipelined', bytes: [`GET /health HTTP/1.1\r\n${host}\r\nGARBAGE\r\n\r\n`] },
    {
      kind: 'ten pipelined requests',
      bytes: [
        Array.from({ length: 10 }, () => `GET /v1/batches?limit=1 HTTP/1.1\r\n${host}${auth}\r\n`).join(''),
      ],
    },
    {
      kind: 'headers cut off, then close',
      bytes: [`GET /v1/batches HTTP/1.1\r\n${host}Authoriz`],
      end: true,
    },
    {
      kind: 'headers cut off, left open',
      bytes: [`GET /v1/batches HTTP/1.1\r\n${host}Authoriz`],
      timeoutMs: 400,
    },
    {
      kind: 'body sent in 1-byte pieces',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n`,
        ...json.slice(0, 40).split(''),
      ],
      timeoutMs: 600,
    },
    {
      kind: 'Upgrade: h2c',
      bytes: [
        `GET /health HTTP/1.1\r\n${host}Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n`,
      ],
    },
    {
      kind: 'WebSocket upgrade to the API',
      bytes: [
        `GET /v1/batches HTTP/1.1\r\n${host}${auth}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      ],
    },
    {
      kind: 'Expect: 100-continue, body never sent',
      bytes: [
        `POST /v1/batches HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 20\r\nExpect: 100-continue\r\n\r\n`,
      ],
      timeoutMs: 500,
    },
  ];
}

/** The raw requests as shots (bytes on a socket; the server may rightly not answer any). */
export function rawShots(c: CorpusContext): Omit<Shot, 'id'>[] {
  return rawRequests(c).map((r) => ({
    scenario: 'raw HTTP',
    kind: r.kind,
    route: 'raw socket',
    transport: 'raw',
    method: '',
    path: '',
    headers: {},
    raw: r.bytes.map((b) => (typeof b === 'string' ? Buffer.from(b, 'latin1') : b)),
    mayGoUnanswered: true,
    ...(r.timeoutMs ? { timeoutMs: r.timeoutMs } : {}),
    ...(r.end ? { end: true } : {}),
  }));
}
