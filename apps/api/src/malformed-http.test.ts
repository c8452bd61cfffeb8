import { connect } from 'node:net';
import { auth, OPS_KEY, startTestApi, type TestApi } from './test-app.js';

// Found by the hostile-input corpus (tests/faults): answers that skipped the error handler had
// Fastify's own body, and two inputs to Bull Board's JSON API were 500s.

/** Bytes on a socket; the first answer's status and body. */
function raw(port: number, bytes: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(bytes));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (!status) return reject(new Error(`no answer: ${JSON.stringify(text)}`));
      resolve({ status: Number(status[1]), body: JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) });
    });
  });
}

const shape = (code: string) => ({
  error: { code, message: expect.any(String), details: expect.any(Array) },
});

describe('answers outside the routes keep the error shape; Bull Board input cannot make a 500', () => {
  let t: TestApi;
  let port: number;
  let base: string;
  beforeAll(async () => {
    t = await startTestApi();
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = Number(new URL(base).port);
  });
  afterAll(() => t.close());

  it('a path that is not valid %-encoding → 400 BAD_URL; an overlong path parameter → 414 PATH_TOO_LONG', async () => {
    const bad = await fetch(`${base}/v1/batches/%ff%fe`, { headers: auth(OPS_KEY) });
    expect([bad.status, await bad.json()]).toEqual([400, shape('BAD_URL')]);
    const long = await fetch(`${base}/v1/batches/${'a'.repeat(201)}`, { headers: auth(OPS_KEY) });
    expect([long.status, await long.json()]).toEqual([414, shape('PATH_TOO_LONG')]);
  });

  it('malformed HTTP → 400 BAD_REQUEST; headers over the limit → 431 HEADERS_TOO_LARGE', async () => {
    expect(await raw(port, 'GARBAGE\r\n\r\n')).toEqual({ status: 400, body: shape('BAD_REQUEST') });
    expect(await raw(port, 'FOO /health HTTP/1.1\r\nHost: x\r\n\r\n')).toEqual({
      status: 400,
      body: shape('BAD_REQUEST'),
    });
    expect(
      await raw(port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`),
    ).toEqual({
      status: 431,
      body: shape('HEADERS_TOO_LARGE'),
    });
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  it('a body nested deeper than 64 levels → 400 INVALID_JSON (10,000 levels of job data were a 500)', async () => {
    const queue = encodeURIComponent(t.queue.name);
    const deep = `${'{"a":'.repeat(10_000)}0${'}'.repeat(10_000)}`;
    for (const [url, body] of [
      [`/admin/queues/api/queues/${queue}/add`, `{"name":"x","data":${deep}}`],
      ['/v1/batches', `{"name":${'['.repeat(65)}${']'.repeat(65)}}`],
    ] as const) {
      const res = await fetch(`${base}${url}`, {
        method: 'POST',
        headers: { ...auth(OPS_KEY), 'content-type': 'application/json' },
        body,
      });
      expect([res.status, await res.json()]).toEqual([400, shape('INVALID_JSON')]);
    }
  });

  it('a NUL character in a body for Bull Board → 400 VALIDATION_FAILED (it broke its message decoding: a 500)', async () => {
    const queue = encodeURIComponent(t.queue.name);
    const res = await fetch(`${base}/admin/queues/api/queues/${queue}/some-job/update-data`, {
      method: 'PATCH',
      headers: { ...auth(OPS_KEY), 'content-type': 'application/json' },
      body: JSON.stringify('a\u0000b'),
    });
    expect([res.status, await res.json()]).toEqual([400, shape('VALIDATION_FAILED')]);
  });
});
