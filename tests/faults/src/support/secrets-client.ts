import { request } from 'node:http';
import { io, type Socket } from 'socket.io-client';

/** One answer of the API, kept whole for the scan. */
export interface Reply {
  method: string;
  path: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** HTTP to the API through node:http (any header, the body as given), every answer kept. */
export class ApiClient {
  readonly replies: Reply[] = [];

  constructor(readonly port: number) {}

  get fiveXx(): number {
    return this.replies.filter((r) => r.status >= 500).length;
  }

  send(
    method: string,
    path: string,
    options: { key?: string; headers?: Record<string, string>; body?: unknown; raw?: string } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
    let body: string | undefined = options.raw;
    if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: this.port, method, path, headers, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const reply = {
              method,
              path,
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            };
            this.replies.push(reply);
            resolve(reply);
          });
        },
      );
      req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  async json<T>(method: string, path: string, key: string, body?: unknown): Promise<T> {
    const reply = await this.send(method, path, { key, ...(body !== undefined ? { body } : {}) });
    if (reply.status >= 300) throw new Error(`${method} ${path} → ${reply.status}: ${reply.body}`);
    return JSON.parse(reply.body) as T;
  }
}

/** A Socket.IO client of the notifier; every message it receives is kept. */
export interface Watcher {
  name: string;
  socket: Socket;
  received: { name: string; payload: unknown }[];
}

export async function watch(
  name: string,
  port: number,
  token: string,
  extraHeaders: Record<string, string> = {},
  query: Record<string, string> = {},
): Promise<Watcher> {
  const socket = io(`http://127.0.0.1:${port}`, {
    auth: { token },
    extraHeaders,
    query,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 10_000,
  });
  const watcher: Watcher = { name, socket, received: [] };
  socket.onAny((event: string, payload: unknown) => watcher.received.push({ name: event, payload }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
  return watcher;
}

/** Subscribes and checks the ack. */
export async function subscribe(w: Watcher, payload: object): Promise<void> {
  const ack = (await w.socket.timeout(10_000).emitWithAck('subscribe', payload)) as {
    ok: boolean;
    error?: { code: string };
  };
  if (!ack.ok) {
    throw new Error(`${w.name}: subscribe ${JSON.stringify(payload)} refused: ${JSON.stringify(ack.error)}`);
  }
}

/** Tries to connect with `token` and returns the refusal's text (or "connected"). */
export async function refusedWith(
  port: number,
  token: string,
  extraHeaders: Record<string, string> = {},
  query: Record<string, string> = {},
) {
  try {
    const w = await watch('refused', port, token, extraHeaders, query);
    w.socket.close();
    return 'connected';
  } catch (error) {
    const e = error as Error & { data?: unknown };
    return `${e.message} ${JSON.stringify(e.data ?? null)}`;
  }
}

/** Completion events per item (item.completed / item.failed) a watcher received. */
export function finishesPerItem(w: Watcher, batchIds: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { name, payload } of w.received) {
    const e = payload as { batchId?: string; itemId?: string };
    if ((name === 'item.completed' || name === 'item.failed') && batchIds.includes(e.batchId ?? '')) {
      counts.set(e.itemId ?? '?', (counts.get(e.itemId ?? '?') ?? 0) + 1);
    }
  }
  return counts;
}
