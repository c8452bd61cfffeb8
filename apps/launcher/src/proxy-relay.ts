import {
  createServer,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { ProfileProxy } from './profile-registry.js';

export interface RelayUpstream {
  type: 'http' | 'https';
  host: string;
  port: number;
  username: string;
  password: string;
}

/**
 * Chromium takes no credentials in `--proxy-server`, and in headless mode nobody answers its
 * auth prompt. So a profile whose HTTP(S) proxy has a username gets this relay: it listens on a
 * loopback port (Chromium's `--proxy-server`) and forwards every plain request and every
 * `CONNECT` tunnel to the upstream proxy with `Proxy-Authorization: Basic ...` added. The
 * relay never looks inside tunnels, so TLS stays end to end between Chromium and the site.
 */
export class ProxyRelay {
  private readonly sockets = new Set<Socket>();
  private readonly agent: HttpAgent;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly upstream: RelayUpstream,
  ) {
    this.agent =
      upstream.type === 'https' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  }

  static async start(upstream: RelayUpstream): Promise<ProxyRelay> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (typeof address !== 'object' || !address) throw new Error('proxy relay has no port');
    const relay = new ProxyRelay(server, address.port, upstream);
    server.on('connection', (socket) => {
      relay.sockets.add(socket);
      socket.once('close', () => relay.sockets.delete(socket));
    });
    server.on('request', (req, res) => relay.forward(req, res));
    server.on('connect', (req, socket, head) => relay.tunnel(req, socket as Socket, head));
    return relay;
  }

  /** Chromium's `--proxy-server` value for this relay. */
  get proxyServer(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private get authorization(): string {
    const { username, password } = this.upstream;
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  private send(options: {
    method: string;
    path: string;
    headers: Record<string, string | string[] | undefined>;
  }) {
    const request = this.upstream.type === 'https' ? httpsRequest : httpRequest;
    return request({
      host: this.upstream.host,
      port: this.upstream.port,
      method: options.method,
      path: options.path,
      headers: { ...options.headers, 'proxy-authorization': this.authorization },
      agent: options.method === 'CONNECT' ? false : this.agent,
    });
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = this.send({ method: req.method ?? 'GET', path: req.url ?? '/', headers });
    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`fleet launcher proxy relay: upstream proxy failed: ${error.message}`);
    });
    req.pipe(upstream);
  }

  private tunnel(req: IncomingMessage, client: Socket, head: Buffer): void {
    const target = req.url ?? '';
    const upstream = this.send({ method: 'CONNECT', path: target, headers: { host: target } });
    const fail = (status: number, message: string) => {
      if (client.writable) client.end(`HTTP/1.1 ${status} ${message}\r\nContent-Length: 0\r\n\r\n`);
    };
    client.on('error', () => upstream.destroy());
    upstream.on('connect', (answer, socket, upstreamHead) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      if (answer.statusCode !== 200) {
        socket.destroy();
        fail(answer.statusCode ?? 502, answer.statusMessage ?? 'Upstream proxy refused');
        return;
      }
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (upstreamHead.length > 0) client.write(upstreamHead);
      if (head.length > 0) socket.write(head);
      socket.pipe(client);
      client.pipe(socket);
      socket.on('error', () => client.destroy());
      client.on('close', () => socket.destroy());
    });
    upstream.on('response', (answer) =>
      fail(answer.statusCode ?? 502, answer.statusMessage ?? 'Bad Gateway'),
    );
    upstream.on('error', (error) => fail(502, `Bad Gateway (${error.message.replace(/[\r\n]/g, ' ')})`));
    upstream.end();
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.server.closeAllConnections();
    this.agent.destroy();
    await closed;
  }
}

/** The relay's upstream when a profile's proxy needs one (HTTP/HTTPS with a username). */
export function relayUpstreamFor(proxy: ProfileProxy): RelayUpstream | null {
  if (proxy.type === 'socks5' || !proxy.username) return null;
  return {
    type: proxy.type,
    host: proxy.host,
    port: proxy.port,
    username: proxy.username,
    password: proxy.password ?? '',
  };
}
