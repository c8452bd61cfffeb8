import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, type Socket } from 'node:net';

type Json = Record<string, unknown>;

/**
 * chromeOptions that ask chromedriver to launch or configure a new browser. With
 * `debuggerAddress` there is no new browser, and chromedriver refuses several of them, so the
 * front drops them: the profile's browser is already running with the launcher's flags.
 */
const LAUNCH_ONLY_OPTIONS = [
  'binary',
  'args',
  'extensions',
  'detach',
  'excludeSwitches',
  'localState',
  'prefs',
  'useAutomationExtension',
  'mobileEmulation',
  'minidumpPath',
  'windowTypes',
];

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bind(capabilities: Json, debuggerAddress: string, extra: Json = {}): void {
  const given = isObject(capabilities['goog:chromeOptions']) ? capabilities['goog:chromeOptions'] : {};
  const options: Json = { ...extra, ...given };
  for (const key of LAUNCH_ONLY_OPTIONS) delete options[key];
  options.debuggerAddress = debuggerAddress;
  capabilities['goog:chromeOptions'] = options;
}

/**
 * Makes a new-session body attach to the browser at `debuggerAddress`: W3C `alwaysMatch` and the
 * legacy `desiredCapabilities` both get `goog:chromeOptions.debuggerAddress` (created if absent).
 * chromeOptions in `firstMatch` entries move to `alwaysMatch` (W3C forbids the same key in both).
 */
export function bindNewSession(body: unknown, debuggerAddress: string): Json {
  const root: Json = isObject(body) ? body : {};
  const w3c: Json = isObject(root.capabilities) ? root.capabilities : {};
  const always: Json = isObject(w3c.alwaysMatch) ? w3c.alwaysMatch : {};
  let fromFirstMatch: Json = {};
  if (Array.isArray(w3c.firstMatch)) {
    for (const entry of w3c.firstMatch) {
      if (isObject(entry) && isObject(entry['goog:chromeOptions'])) {
        fromFirstMatch = { ...fromFirstMatch, ...entry['goog:chromeOptions'] };
        delete entry['goog:chromeOptions'];
      }
    }
  }
  bind(always, debuggerAddress, fromFirstMatch);
  w3c.alwaysMatch = always;
  root.capabilities = w3c;
  const desired: Json = isObject(root.desiredCapabilities) ? root.desiredCapabilities : {};
  bind(desired, debuggerAddress);
  root.desiredCapabilities = desired;
  return root;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * A WebDriver endpoint bound to one running browser: an HTTP front on its own loopback port
 * that forwards everything to a chromedriver and rewrites `POST /session` so any plain
 * `{browserName: "chrome"}` session drives this profile's Chromium. Deleting the session only
 * detaches chromedriver; the browser stays up until the launcher stops the profile.
 * The BiDi `webSocketUrl` chromedriver answers is rewritten to point at the front, which also
 * relays WebSocket upgrades, so clients only ever need the one port.
 */
export class WebDriverFront {
  private readonly agent = new Agent({ keepAlive: true });
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(options: {
    driverPort: number;
    debuggerAddress: string;
    host?: string;
  }): Promise<WebDriverFront> {
    const server = createServer();
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    const address = server.address();
    if (!isObject(address)) throw new Error('webdriver front has no port');
    const front = new WebDriverFront(server, address.port as number);
    server.on('connection', (socket) => {
      front.sockets.add(socket);
      socket.once('close', () => front.sockets.delete(socket));
    });
    server.on('request', (req, res) => {
      front.forward(req, res, options).catch((error: Error) => front.fail(res, error));
    });
    server.on('upgrade', (req, socket, head) =>
      front.upgrade(req, socket as Socket, head, options.driverPort),
    );
    return front;
  }

  private async forward(
    req: IncomingMessage,
    res: ServerResponse,
    options: { driverPort: number; debuggerAddress: string },
  ): Promise<void> {
    // Clients configured with `/wd/hub` (Selenium Grid habit) reach the same driver.
    const path = (req.url ?? '/').replace(/^\/wd\/hub(?=\/|$)/, '') || '/';
    const isNewSession = req.method === 'POST' && /^\/session\/?(\?.*)?$/.test(path);
    const headers = { ...req.headers, host: `127.0.0.1:${options.driverPort}` };
    let payload: Buffer | undefined;
    if (isNewSession) {
      const raw = await readBody(req);
      let parsed: unknown = {};
      try {
        parsed = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : {};
      } catch {
        parsed = {};
      }
      payload = Buffer.from(JSON.stringify(bindNewSession(parsed, options.debuggerAddress)));
      headers['content-type'] = 'application/json; charset=utf-8';
      headers['content-length'] = String(payload.length);
      delete headers['transfer-encoding'];
    }
    const upstream = request(
      { host: '127.0.0.1', port: options.driverPort, method: req.method, path, headers, agent: this.agent },
      (answer) => {
        if (!isNewSession) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        readBody(answer)
          .then((body) => {
            const text = this.rewriteWebSocketUrl(
              body.toString('utf8'),
              options.driverPort,
              req.headers.host,
            );
            const out = Buffer.from(text);
            res.writeHead(answer.statusCode ?? 502, {
              ...answer.headers,
              'content-length': String(out.length),
            });
            res.end(out);
          })
          .catch((error: Error) => this.fail(res, error));
      },
    );
    upstream.on('error', (error) => this.fail(res, error));
    if (payload) upstream.end(payload);
    else req.pipe(upstream);
  }

  private rewriteWebSocketUrl(text: string, driverPort: number, clientHost: string | undefined): string {
    const target = clientHost && /^[\w.-]+:\d+$/.test(clientHost) ? clientHost : `127.0.0.1:${this.port}`;
    return text.replace(
      new RegExp(`ws://(127\\.0\\.0\\.1|localhost):${driverPort}/`, 'g'),
      `ws://${target}/`,
    );
  }

  private upgrade(req: IncomingMessage, client: Socket, head: Buffer, driverPort: number): void {
    const driver = connect(driverPort, '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i] as string;
        const value = name.toLowerCase() === 'host' ? `127.0.0.1:${driverPort}` : req.rawHeaders[i + 1];
        lines.push(`${name}: ${value}`);
      }
      driver.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) driver.write(head);
      driver.pipe(client);
      client.pipe(driver);
    });
    this.sockets.add(driver);
    driver.once('close', () => this.sockets.delete(driver));
    const drop = () => {
      driver.destroy();
      client.destroy();
    };
    driver.on('error', drop);
    client.on('error', drop);
  }

  private fail(res: ServerResponse, error: Error): void {
    if (res.headersSent) {
      res.destroy(error);
      return;
    }
    res.writeHead(502, { 'content-type': 'application/json; charset=utf-8' });
    res.end(
      JSON.stringify({
        value: {
          error: 'unknown error',
          message: `launcher webdriver front: ${error.message}`,
          stacktrace: '',
        },
      }),
    );
  }

  /** Stops listening and drops every open connection, so the port is closed at once. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.server.closeAllConnections();
    this.agent.destroy();
    await closed;
  }
}
