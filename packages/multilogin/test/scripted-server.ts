import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny real HTTP server that answers a scripted sequence per route: it stands in for the
 * Multilogin cloud (unreachable from here) in tests of retries, waits, timeouts and error codes.
 * Not a mock library: the client under test does real HTTP through got.
 */
export interface Reply {
  status?: number;
  /** JSON body; an envelope helper is below. */
  body?: unknown;
  /** A raw body (sent as is, e.g. HTML), instead of `body`. */
  raw?: string;
  headers?: Record<string, string>;
  /** Answer after this long (to provoke timeouts). */
  delayMs?: number;
  /** Destroy the socket without answering (a dropped connection). */
  drop?: boolean;
}

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
  at: number;
}

type Script = Reply | ((req: Recorded) => Reply);

export function ok(data: unknown): Reply {
  return { status: 200, body: { status: { error_code: '', http_code: 200, message: 'ok' }, data } };
}

export function fail(status: number, errorCode: string, message = errorCode): Reply {
  return { status, body: { status: { error_code: errorCode, http_code: status, message }, data: null } };
}

export class ScriptedServer {
  readonly requests: Recorded[] = [];
  private readonly scripts = new Map<string, Script[]>();
  private readonly fallbacks = new Map<string, Script>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<ScriptedServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const scripted = new ScriptedServer(server, `http://127.0.0.1:${port}`);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', scripted.url);
        const text = Buffer.concat(chunks).toString('utf8');
        const recorded: Recorded = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: text ? safeJson(text) : undefined,
          at: Date.now(),
        };
        scripted.requests.push(recorded);
        const reply = scripted.next(recorded);
        const send = () => {
          if (reply.drop) {
            req.socket.destroy();
            return;
          }
          const body = reply.raw ?? JSON.stringify(reply.body ?? null);
          res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
          res.end(body);
        };
        if (reply.delayMs) setTimeout(send, reply.delayMs);
        else send();
      });
    });
    return scripted;
  }

  /** Answer `route` ("POST /profile/search") with these replies in order, then with the last one. */
  script(route: string, ...replies: Script[]): this {
    this.scripts.set(route, [...replies]);
    const last = replies[replies.length - 1];
    if (last) this.fallbacks.set(route, last);
    return this;
  }

  /** Recorded requests to one route. */
  calls(route: string): Recorded[] {
    return this.requests.filter((r) => `${r.method} ${r.path}` === route);
  }

  reset(): void {
    this.requests.length = 0;
    this.scripts.clear();
    this.fallbacks.clear();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private next(req: Recorded): Reply {
    const route = `${req.method} ${req.path}`;
    const queue = this.scripts.get(route);
    const script = queue?.shift() ?? this.fallbacks.get(route);
    if (!script) return fail(404, 'NOT_SCRIPTED', `no script for ${route}`);
    return typeof script === 'function' ? script(req) : script;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A logger that keeps every call, to check that no secret was logged. */
export function captureLogger() {
  const entries: { level: string; obj: object; msg: string }[] = [];
  const at =
    (level: string) =>
    (obj: object, msg: string): void => {
      entries.push({ level, obj, msg });
    };
  return { entries, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

/** An unsigned JWT with the given claims (the client reads `exp`, it does not verify). */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}
