import { type Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';

/** What came back for one request: a status (null when the server closed or we gave up), a body. */
export interface Answer {
  status: number | null;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Client-side trouble: a reset, a timeout, an EPIPE while still sending. */
  error?: string;
  ms: number;
}

/** Bodies are kept up to this size for the checks (HTML pages and big answers are cut). */
const KEEP_BYTES = 64 * 1024;

export interface HttpShot {
  method: string;
  path: string;
  headers?: Record<string, string | string[]>;
  body?: Buffer | string;
  timeoutMs?: number;
  agent?: Agent | false;
}

/** One request through node:http (so Node's own client framing, the server's real parser). */
export function httpSend(port: number, shot: HttpShot): Promise<Answer> {
  const started = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (answer: Omit<Answer, 'ms'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...answer, ms: Date.now() - started });
    };
    const headers = { ...shot.headers };
    // Node frames a body on GET, DELETE, OPTIONS... only when told its length.
    const named = Object.keys(headers).map((h) => h.toLowerCase());
    if (
      shot.body !== undefined &&
      !named.includes('content-length') &&
      !named.includes('transfer-encoding')
    ) {
      headers['content-length'] = String(Buffer.byteLength(shot.body));
    }
    let req: ReturnType<typeof httpRequest>;
    try {
      req = httpRequest({
        host: '127.0.0.1',
        port,
        method: shot.method,
        path: shot.path,
        headers,
        agent: shot.agent ?? false,
      });
    } catch (error) {
      // The client refused to send it (an invalid character): not a server answer.
      done({ status: null, headers: {}, body: '', error: `client refused: ${(error as Error).message}` });
      return;
    }
    req.setTimeout(shot.timeoutMs ?? 10_000, () => {
      req.destroy(new Error('timeout'));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on('data', (chunk: Buffer) => {
        if (kept < KEEP_BYTES) {
          chunks.push(chunk);
          kept += chunk.length;
        }
      });
      const finish = (error?: string) =>
        done({
          status: res.statusCode ?? null,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          ...(error ? { error } : {}),
        });
      res.on('end', () => finish());
      res.on('error', (err) => finish(err.message));
      res.on('aborted', () => finish('aborted'));
      res.on('close', () => finish());
    });
    req.on('error', (err) => done({ status: null, headers: {}, body: '', error: err.message }));
    if (shot.body !== undefined) req.end(shot.body);
    else req.end();
  });
}

/**
 * Bytes written to a TCP socket as they are (malformed HTTP the client library would never send);
 * everything the server sends back until it closes or `timeoutMs` passes is read as HTTP answers.
 */
export function rawSend(
  port: number,
  bytes: Buffer | string | (Buffer | string)[],
  options: { timeoutMs?: number; end?: boolean } = {},
): Promise<Answer[] & { error?: string }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: string | undefined;
    const socket = connect({ host: '127.0.0.1', port });
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const answers = parseAnswers(Buffer.concat(chunks), Date.now() - started) as Answer[] & {
        error?: string;
      };
      if (error) answers.error = error;
      resolve(answers);
    };
    const timer = setTimeout(() => {
      error ??= 'timeout';
      finish();
    }, options.timeoutMs ?? 3000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (err) => {
      error = err.message;
    });
    socket.on('close', finish);
    socket.on('connect', () => {
      for (const part of [bytes].flat()) socket.write(part);
      if (options.end) socket.end();
    });
  });
}

/** HTTP/1.x answers one after another in a byte stream (Content-Length, chunked, or to the end). */
export function parseAnswers(data: Buffer, ms: number): Answer[] {
  const answers: Answer[] = [];
  let at = 0;
  while (at < data.length) {
    const headEnd = data.indexOf('\r\n\r\n', at);
    if (headEnd < 0) break;
    const head = data.subarray(at, headEnd).toString('latin1').split('\r\n');
    const status = /^HTTP\/\d\.\d (\d{3})/.exec(head[0] ?? '');
    if (!status) break;
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let bodyStart = headEnd + 4;
    let body: Buffer;
    const code = Number(status[1]);
    if (code === 204 || code === 304 || (code >= 100 && code < 200)) {
      body = Buffer.alloc(0);
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      body = data.subarray(bodyStart, bodyStart + length);
      bodyStart += length;
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = data.indexOf('\r\n', bodyStart);
        if (lineEnd < 0) break;
        const size = Number.parseInt(data.subarray(bodyStart, lineEnd).toString('latin1'), 16);
        bodyStart = lineEnd + 2;
        if (!(size > 0)) {
          bodyStart += 2;
          break;
        }
        parts.push(data.subarray(bodyStart, bodyStart + size));
        bodyStart += size + 2;
      }
      body = Buffer.concat(parts);
    } else {
      body = data.subarray(bodyStart);
      bodyStart = data.length;
    }
    answers.push({ status: code, headers, body: body.toString('utf8'), ms });
    at = bodyStart;
  }
  return answers;
}

/** Run `work` over `items` with at most `limit` running at once; results in input order. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** The API's error body, when `body` is one: `{error: {code, message, details: []}}`. */
export function errorShapeProblem(body: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `not JSON: ${JSON.stringify(body.slice(0, 120))}`;
  }
  const error = (parsed as { error?: Record<string, unknown> } | null)?.error;
  if (!error || typeof error !== 'object') return `no "error" object: ${body.slice(0, 120)}`;
  if (typeof error.code !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(error.code))
    return `bad code: ${body.slice(0, 120)}`;
  if (typeof error.message !== 'string') return `no message: ${body.slice(0, 120)}`;
  if (!Array.isArray(error.details)) return `details not an array: ${body.slice(0, 120)}`;
  return null;
}
