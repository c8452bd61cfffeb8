import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

// Test fixtures for BLOCK_PRIVATE_TARGETS: a "private" server that counts every connection it gets
// (the guard's tests assert it got none), and an allowed site that leads browsers to it.

export interface PrivateTarget {
  /** One port, on 127.0.0.1, 127.0.0.2 and [::1] (where the host has IPv6 loopback). */
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The addresses it listens on, e.g. `['127.0.0.1', '127.0.0.2', '::1']`. */
  addresses: string[];
  /** TCP connections accepted so far, on any address: a refused request never opens one. */
  readonly connections: number;
  /** Requests received: method, Host header and path. */
  readonly requests: string[];
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

/** Starts the private server; `close()` ends every connection at once. */
export async function startPrivateTarget(): Promise<PrivateTarget> {
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  let connections = 0;
  const make = () => {
    const server = createServer((req, res) => {
      requests.push(`${req.method} ${req.headers.host ?? ''} ${req.url ?? ''}`);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Private</title><h1 id="secret">internal admin page</h1>');
    });
    server.on('connection', (socket) => {
      connections++;
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    return server;
  };
  const first = make();
  const port = await listen(first, 0, '127.0.0.1');
  const servers = [first];
  const addresses = ['127.0.0.1'];
  for (const host of ['127.0.0.2', '::1']) {
    const server = make();
    try {
      await listen(server, port, host);
      servers.push(server);
      addresses.push(host);
    } catch {
      // No such loopback address here (or the port is taken on it): tests use the others.
    }
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    addresses,
    get connections() {
      return connections;
    },
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all(
        servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      );
    },
  };
}

export interface GatewaySite {
  /** `http://127.0.0.1:<port>` (the test allowlists `127.0.0.1:<port>`). */
  url: string;
  port: number;
  /** `host:port`, the ALLOWED_TARGETS entry that lets this site through. */
  hostPort: string;
  close(): Promise<void>;
}

const PAGE = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;

const attr = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

function route(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://gateway');
  const to = url.searchParams.get('to') ?? '';
  const html = (status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(body);
  };
  if (url.pathname === '/redirect') {
    res.writeHead(302, { location: to, 'cache-control': 'no-store' });
    res.end();
  } else if (url.pathname === '/embed') {
    // Everything a page can make the browser request on its own, aimed at `to`.
    const target = attr(to);
    html(
      200,
      PAGE(
        'Embeds',
        `<h1 id="heading">Embeds</h1><img src="${target}/img.png"><iframe src="${target}/frame"></iframe>
<link rel="stylesheet" href="${target}/style.css"><script src="${target}/script.js"></script>
<script>fetch(${JSON.stringify(`${to}/fetch`)}).catch(function () {});
try { new WebSocket(${JSON.stringify(`${to.replace(/^http/, 'ws')}/ws`)}); } catch (e) {}
navigator.sendBeacon && navigator.sendBeacon(${JSON.stringify(`${to}/beacon`)}, 'x');</script>`,
      ),
    );
  } else if (url.pathname === '/') {
    html(200, PAGE('Gateway', '<h1 id="heading">Public gateway</h1>'));
  } else {
    html(404, PAGE('Not found', '<p>nothing here</p>'));
  }
}

/** The allowed site: `/` (an `<h1>`), `/redirect?to=<url>` (302), `/embed?to=<origin>` (subresources). */
export async function startGatewaySite(): Promise<GatewaySite> {
  const sockets = new Set<Socket>();
  const server = createServer(route);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await listen(server, 0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hostPort: `127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
