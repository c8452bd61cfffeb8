// Test-only fixture (not exported from index.ts; other packages' tests import
// `@fleet/webdriver/test-browser`): a WebDriver endpoint bound to an already-running
// headless Chromium, shaped like the one Fleet's launcher and Multilogin hand out (the launcher's
// WebDriver front: chromedriver attached through goog:chromeOptions.debuggerAddress). The driver under test opens its own
// plain `{browserName: 'chrome'}` sessions on it; ending them leaves the browser running.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebDriverEndpoint } from '@fleet/core';
import { waitFor } from '@fleet/testing';

const CHROMIUM = '/usr/bin/chromium';
const CHROMEDRIVER = '/usr/bin/chromedriver';
const CHROMIUM_FLAGS = [
  // Names under .invalid fail at once (no resolver wait): a deterministic net::ERR_NAME_NOT_RESOLVED.
  '--host-resolver-rules=MAP *.invalid ~NOTFOUND',
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--password-store=basic',
  '--use-mock-keychain',
  '--window-size=1280,800',
];

export interface TestBrowser {
  /** The bound endpoint: give it to the driver under test. */
  readonly endpoint: WebDriverEndpoint;
  /** Session ids chromedriver created through the front, and those deleted through it. */
  readonly sessions: { created: string[]; deleted: string[] };
  /** Sessions created and not (yet) deleted. */
  openSessions(): string[];
  /**
   * Every WebDriver command the front forwarded, as `METHOD /path` with the session id left out
   * (`POST /session/:id/url` → `POST url`; a new session: `POST session`).
   */
  readonly commands: string[];
  /** True while the Chromium process is alive. */
  browserRunning(): boolean;
  /** Deletes a session behind the driver's back (a "session lost mid-run" fault). */
  deleteSession(id: string): Promise<number>;
  close(): Promise<void>;
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Chromium picks its own DevTools port (`=0`) and writes it to DevToolsActivePort: no port race. */
async function launchChromium(dir: string): Promise<{ child: ChildProcess; debugPort: number }> {
  const args = [...CHROMIUM_FLAGS, `--user-data-dir=${dir}`, '--remote-debugging-port=0', 'about:blank'];
  const child = spawn(CHROMIUM, args, { detached: true, stdio: 'ignore' });
  const debugPort = await waitFor(
    'Chromium DevToolsActivePort',
    () => {
      if (!alive(child)) throw new Error(`chromium exited (${child.exitCode ?? child.signalCode})`);
      try {
        const port = Number(readFileSync(join(dir, 'DevToolsActivePort'), 'utf8').split('\n')[0]);
        return port > 0 ? port : undefined;
      } catch {
        return undefined;
      }
    },
    { timeoutMs: 15_000, intervalMs: 25 },
  );
  return { child, debugPort };
}

/** chromedriver with `--port=0` prints the port it chose. */
async function launchChromedriver(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(CHROMEDRIVER, ['--port=0'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.resume();
  const port = await waitFor(
    'chromedriver start',
    () => {
      if (!alive(child)) throw new Error(`chromedriver exited: ${output}`);
      const match = /started successfully on port (\d+)/.exec(output);
      return match ? Number(match[1]) : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 25 },
  );
  return { child, port };
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

type Json = Record<string, unknown>;

function withDebuggerAddress(caps: unknown, debuggerAddress: string): Json {
  const base: Json = typeof caps === 'object' && caps !== null ? (caps as Json) : {};
  const chrome = (base['goog:chromeOptions'] as Json | undefined) ?? {};
  return { ...base, 'goog:chromeOptions': { ...chrome, debuggerAddress } };
}

/** Adds `debuggerAddress` to a new-session body: W3C alwaysMatch, and legacy desiredCapabilities. */
function bindNewSession(raw: Buffer, debuggerAddress: string): Buffer {
  const body = (raw.length > 0 ? JSON.parse(raw.toString('utf8')) : {}) as Json;
  const w3c = (body.capabilities as Json | undefined) ?? {};
  body.capabilities = { ...w3c, alwaysMatch: withDebuggerAddress(w3c.alwaysMatch, debuggerAddress) };
  if (body.desiredCapabilities !== undefined) {
    body.desiredCapabilities = withDebuggerAddress(body.desiredCapabilities, debuggerAddress);
  }
  return Buffer.from(JSON.stringify(body));
}

function sessionIdOf(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { value?: { sessionId?: string } };
    return parsed.value?.sessionId;
  } catch {
    return undefined;
  }
}

/** `POST /session/abc/execute/sync` → `POST execute/sync`; `POST /session` → `POST session`. */
function commandOf(method: string | undefined, path: string): string {
  const rest = /^\/session\/[^/]+\/?(.*)$/.exec(path)?.[1];
  return `${method ?? 'GET'} ${rest === undefined ? path.replace(/^\//, '') : rest || 'session'}`;
}

function startFront(
  driverPort: number,
  debuggerAddress: string,
  sessions: TestBrowser['sessions'],
  commands: string[],
): Promise<Server> {
  const forward = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = req.url ?? '/';
    commands.push(commandOf(req.method, path));
    const isNewSession = req.method === 'POST' && /^\/session\/?$/.test(path);
    const deleted = req.method === 'DELETE' ? /^\/session\/([^/]+)\/?$/.exec(path)?.[1] : undefined;
    let body = await readBody(req);
    if (isNewSession) body = bindNewSession(body, debuggerAddress);
    const headers = {
      ...req.headers,
      host: `127.0.0.1:${driverPort}`,
      'content-length': String(body.length),
    };
    const upstream = request(
      { host: '127.0.0.1', port: driverPort, method: req.method, path, headers },
      (answer) => {
        readBody(answer).then((out) => {
          const id = isNewSession && answer.statusCode === 200 ? sessionIdOf(out) : undefined;
          if (id) sessions.created.push(id);
          if (deleted && answer.statusCode === 200) sessions.deleted.push(deleted);
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(out);
        }, res.destroy.bind(res));
      },
    );
    upstream.on('error', (error) => res.destroy(error));
    upstream.end(body);
  };
  const server = createServer((req, res) => {
    forward(req, res).catch((error: Error) => res.destroy(error));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function killGroup(child: ChildProcess): Promise<void> {
  if (!alive(child) || child.pid === undefined) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
  return exited;
}

/** Starts Chromium, chromedriver and the binding front; `close()` ends all three and the profile dir. */
export async function startTestBrowser(): Promise<TestBrowser> {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-webdriver-test-'));
  const sessions = { created: [] as string[], deleted: [] as string[] };
  const chromium = await launchChromium(dir);
  const driver = await launchChromedriver();
  const commands: string[] = [];
  const front = await startFront(driver.port, `127.0.0.1:${chromium.debugPort}`, sessions, commands);
  const address = front.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: { protocol: 'http', hostname: '127.0.0.1', port, path: '/' },
    sessions,
    commands,
    openSessions: () => sessions.created.filter((id) => !sessions.deleted.includes(id)),
    browserRunning: () => alive(chromium.child),
    deleteSession: async (id) => {
      const res = await fetch(`http://127.0.0.1:${port}/session/${id}`, { method: 'DELETE' });
      await res.arrayBuffer();
      return res.status;
    },
    close: async () => {
      front.closeAllConnections();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      await Promise.all([killGroup(driver.child), killGroup(chromium.child)]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
