import { createServer, type IncomingMessage, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { listenOnLoopback } from './loopback-server.js';

/** One request the test proxy received. */
export interface ProxiedRequest {
  at: number;
  /** `GET`, `POST`, ... or `CONNECT`. */
  method: string;
  /** The absolute URL of a plain request, or `host:port` of a CONNECT. */
  target: string;
  /** The `Proxy-Authorization` header as received, or null. */
  proxyAuthorization: string | null;
  /** What the proxy answered: 407 without valid credentials, 403 for a non-loopback target. */
  status: number;
}

export interface TestProxyOptions {
  /** When set (with `password`), requests without matching Basic credentials get 407. */
  username?: string;
  password?: string;
}

export interface TestProxy {
  host: '127.0.0.1';
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  readonly requests: ProxiedRequest[];
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function hostOf(target: string): string {
  const at = target.lastIndexOf(':');
  return at > 0 ? target.slice(0, at) : target;
}

/**
 * A real forward HTTP proxy on a free loopback port: plain requests (absolute URLs) and CONNECT
 * tunnels, optionally behind Basic auth. It records each request's target and the
 * Proxy-Authorization it carried. It only forwards to loopback targets (tests must never reach
 * out): anything else is answered 403 and recorded.
 */
export async function startTestProxy(options: TestProxyOptions = {}): Promise<TestProxy> {
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const expected =
    options.username !== undefined
      ? `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`
      : null;

  const admit = (req: IncomingMessage, target: string, host: string): number => {
    const auth = req.headers['proxy-authorization'] ?? null;
    const status = expected !== null && auth !== expected ? 407 : LOOPBACK.has(host) ? 200 : 403;
    requests.push({ at: Date.now(), method: req.method ?? 'GET', target, proxyAuthorization: auth, status });
    return status;
  };

  const server = createServer((req, res) => {
    const target = req.url ?? '';
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      res.writeHead(400).end('absolute URL expected');
      return;
    }
    const status = admit(req, target, url.hostname);
    if (status !== 200) {
      res.writeHead(status, status === 407 ? { 'proxy-authenticate': 'Basic realm="fleet-test-proxy"' } : {});
      res.end();
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = request(
      {
        host: url.hostname,
        port: url.port || 80,
        method: req.method,
        path: `${url.pathname}${url.search}`,
        headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.headersSent || res.writeHead(502).end());
    req.pipe(upstream);
  });

  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    const status = admit(req, target, hostOf(target));
    if (status !== 200) {
      const extra = status === 407 ? 'Proxy-Authenticate: Basic realm="fleet-test-proxy"\r\n' : '';
      client.end(
        `HTTP/1.1 ${status} ${status === 407 ? 'Proxy Authentication Required' : 'Forbidden'}\r\n${extra}Content-Length: 0\r\n\r\n`,
      );
      return;
    }
    const port = Number(target.slice(target.lastIndexOf(':') + 1));
    const upstream = connect(port, hostOf(target).replace(/^\[|\]$/g, ''), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });

  const { port, close } = await listenOnLoopback(server, sockets);
  return {
    host: '127.0.0.1',
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    close,
  };
}
