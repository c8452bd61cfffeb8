import {
  createServer,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { effectivePort, type TargetPolicy } from '@fleet/targets';
import type { ProfileProxy } from './profile-registry.js';

export interface RelayUpstream {
  type: 'http' | 'https';
  host: string;
  port: number;
  /** Empty: the upstream proxy takes no credentials. */
  username: string;
  password: string;
}

export interface RelayOptions {
  /** BLOCK_PRIVATE_TARGETS: every request's target is judged before anything is sent to it. */
  policy?: TargetPolicy | null;
  /** Told of each refused request: the host and why (never the path or query). */
  onRefused?: (host: string, reason: string) => void;
}

/** Where one request goes: refused, or on to an address (undefined: the upstream or DNS decides). */
type Route = { refused: string } | { unresolved: true } | { address: string | undefined };

// Headers meant for the proxy, not the site.
const PROXY_HEADERS = ['proxy-authorization', 'proxy-connection'];

/**
 * A loopback proxy in front of a profile's browser (Chromium's `--proxy-server`), for two jobs:
 * - credentials: Chromium takes none in `--proxy-server` and in headless mode nobody answers its
 *   auth prompt, so requests go on to the upstream proxy with `Proxy-Authorization` added;
 * - private targets: with a policy, every plain request and every `CONNECT` is judged first, so a
 *   redirect, a subresource or a script's fetch to a private address is refused (403) before it
 *   leaves. Without an upstream the relay connects to the very address it judged (a second DNS
 *   answer cannot swap in another); with one, the upstream resolves names itself.
 * Tunnels are never opened: TLS stays end to end between Chromium and the site.
 */
export class ProxyRelay {
  private readonly sockets = new Set<Socket>();
  private readonly agent: HttpAgent;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly upstream: RelayUpstream | null,
    private readonly options: RelayOptions,
  ) {
    this.agent =
      upstream?.type === 'https' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  }

  static async start(upstream: RelayUpstream | null, options: RelayOptions = {}): Promise<ProxyRelay> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (typeof address !== 'object' || !address) throw new Error('proxy relay has no port');
    const relay = new ProxyRelay(server, address.port, upstream, options);
    server.on('connection', (socket) => relay.track(socket));
    server.on('request', (req, res) => {
      relay.forward(req, res).catch(() => res.destroy());
    });
    server.on('connect', (req, socket, head) => {
      relay.tunnel(req, socket as Socket, head).catch(() => socket.destroy());
    });
    return relay;
  }

  /** Chromium's `--proxy-server` value for this relay. */
  get proxyServer(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private async route(hostname: string, port: number): Promise<Route> {
    const policy = this.options.policy;
    if (!policy) return { address: undefined };
    const verdict = await policy.verdict(hostname, port);
    if (verdict.kind === 'blocked') {
      this.options.onRefused?.(hostname, verdict.reason);
      return { refused: verdict.reason };
    }
    // Through an upstream, names are its to resolve (ours may not know them).
    if (verdict.kind === 'unresolved') return this.upstream ? { address: undefined } : { unresolved: true };
    return { address: this.upstream ? undefined : verdict.addresses?.[0] };
  }

  private send(options: {
    method: string;
    path: string;
    headers: Record<string, string | string[] | undefined>;
  }) {
    const upstream = this.upstream!;
    const request = upstream.type === 'https' ? httpsRequest : httpRequest;
    const headers = { ...options.headers };
    if (upstream.username) {
      const { username, password } = upstream;
      headers['proxy-authorization'] = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    }
    return request({
      host: upstream.host,
      port: upstream.port,
      method: options.method,
      path: options.path,
      headers,
      agent: options.method === 'CONNECT' ? false : this.agent,
    });
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res
        .writeHead(400, { 'content-type': 'text/plain' })
        .end('fleet launcher proxy relay: absolute URL expected');
      return;
    }
    const route = await this.route(target.hostname, effectivePort(target));
    if ('refused' in route) {
      res.writeHead(403, {
        'content-type': 'text/plain; charset=utf-8',
        'x-fleet-refused': 'private-target',
      });
      res.end(`Fleet refused this request: ${route.refused} (BLOCK_PRIVATE_TARGETS)`);
      return;
    }
    if ('unresolved' in route) {
      res.destroy(); // as a failed lookup would: the browser reports a network error
      return;
    }
    const headers = { ...req.headers };
    for (const name of PROXY_HEADERS) delete headers[name];
    const upstream = this.upstream
      ? this.send({ method: req.method ?? 'GET', path: req.url ?? '/', headers })
      : httpRequest({
          host: route.address ?? target.hostname,
          port: effectivePort(target),
          method: req.method,
          path: `${target.pathname}${target.search}`,
          headers, // Host stays the site's, whatever address we connect to
          setHost: false,
          agent: this.agent,
        });
    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
      // A site that resets mid-body: end the browser's response too (an unheard 'error' would
      // take the whole launcher down).
      answer.on('error', () => res.destroy());
      answer.pipe(res);
    });
    // The upstream proxy or the site cannot be reached (refused, no route, reset): no answer at
    // all, so the browser reports a network error as it would without the relay (its own proxy
    // setting failing: ERR_PROXY_CONNECTION_FAILED) and the step fails and is retried. A 502 page
    // would read as the site's answer: a goto that "succeeded" on a page the site never sent.
    upstream.on('error', () => res.destroy());
    // The browser going away mid-request: drop the request to the site.
    req.on('error', () => upstream.destroy());
    res.on('error', () => upstream.destroy());
    req.pipe(upstream);
  }

  private async tunnel(req: IncomingMessage, client: Socket, head: Buffer): Promise<void> {
    // The HTTP server hands the socket over with no error listener: one now, before any await (a
    // browser resetting it while the target is judged would otherwise throw out of the process).
    let onward: { destroy(): void } | undefined;
    client.on('error', () => onward?.destroy());
    const target = req.url ?? '';
    const fail = (status: number, message: string) => {
      if (client.writable) client.end(`HTTP/1.1 ${status} ${message}\r\nContent-Length: 0\r\n\r\n`);
    };
    let parsed: URL;
    try {
      parsed = new URL(`http://${target}`);
    } catch {
      fail(400, 'Bad Request');
      return;
    }
    const route = await this.route(parsed.hostname, effectivePort(parsed));
    if ('refused' in route) return fail(403, 'Forbidden (private target, BLOCK_PRIVATE_TARGETS)');
    if ('unresolved' in route) return fail(502, 'Bad Gateway (the host does not resolve)');
    if (!this.upstream) {
      const socket = connect({ host: route.address ?? parsed.hostname, port: effectivePort(parsed) });
      this.track(socket);
      // Until connected, an error is answered as 502; from then on the tunnel's own handler
      // (splice) ends it. Listening with `on` for both: no error may go unheard.
      const refused = (error: Error) => fail(502, `Bad Gateway (${error.message.replace(/[\r\n]/g, ' ')})`);
      socket.on('error', refused);
      socket.once('connect', () => {
        socket.off('error', refused);
        this.splice(client, socket, Buffer.alloc(0), head);
      });
      onward = socket;
      return;
    }
    const upstream = this.send({ method: 'CONNECT', path: target, headers: { host: target } });
    onward = upstream;
    upstream.on('connect', (answer, socket, upstreamHead) => {
      this.track(socket);
      if (answer.statusCode !== 200) {
        socket.destroy();
        fail(answer.statusCode ?? 502, answer.statusMessage ?? 'Upstream proxy refused');
        return;
      }
      this.splice(client, socket, upstreamHead, head);
    });
    upstream.on('response', (answer) =>
      fail(answer.statusCode ?? 502, answer.statusMessage ?? 'Bad Gateway'),
    );
    upstream.on('error', (error) => fail(502, `Bad Gateway (${error.message.replace(/[\r\n]/g, ' ')})`));
    upstream.end();
  }

  /** Joins an established tunnel to the client. */
  private splice(client: Socket, socket: Socket, upstreamHead: Buffer, head: Buffer): void {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (upstreamHead.length > 0) client.write(upstreamHead);
    if (head.length > 0) socket.write(head);
    socket.pipe(client);
    client.pipe(socket);
    socket.on('error', () => client.destroy());
    client.on('close', () => socket.destroy());
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.server.closeAllConnections();
    this.agent.destroy();
    await closed;
  }
}

/**
 * The relay's upstream for a profile's proxy: always for HTTP/HTTPS proxies with a username; for
 * those without one only when the relay is needed anyway (`guarded`). Never for socks5.
 */
export function relayUpstreamFor(proxy: ProfileProxy, guarded = false): RelayUpstream | null {
  if (proxy.type === 'socks5' || (!proxy.username && !guarded)) return null;
  return {
    type: proxy.type,
    host: proxy.host,
    port: proxy.port,
    username: proxy.username ?? '',
    password: proxy.password ?? '',
  };
}
