import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
// .ts, not .js: Jest's globalSetup loads this file without the preset's module mapper.
import { freePort } from './free-port.ts';

/** Thrown when `redis-server` is not installed: says how to get it. */
export class RedisServerMissingError extends Error {
  override name = 'RedisServerMissingError';
  constructor() {
    super(
      'redis-server was not found on PATH. Tests start their own throwaway redis-server. ' +
        'Install it with `sudo apt-get install -y redis-server` (Debian/Ubuntu) or run ./scripts/setup.sh.',
    );
  }
}

export function redisServerInstalled(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return !probe.error && probe.status === 0;
}

export interface RedisServerOptions {
  port?: number;
  /** The address it binds and is reached on (default loopback). */
  host?: string;
  /** Extra `redis-server` arguments, e.g. `['--maxmemory-policy', 'allkeys-lru']`. */
  args?: string[];
  /** A command it is run under, e.g. `['ip', 'netns', 'exec', 'h1']` (a host in a network namespace). */
  prefix?: string[];
  /** `requirepass`: clients must AUTH (the URL carries it). */
  password?: string;
  /** TLS only (no plain port): the server's certificate, key and CA files (see `selfSignedTls`). */
  tls?: { certFile: string; keyFile: string; caFile: string };
  /**
   * A config file's text, written into the server's directory and passed first (a Sentinel needs a
   * file it can rewrite: `config` with `args: ['--sentinel']`).
   */
  config?: string;
}

/**
 * A real redis-server child process on a free loopback port, persisting nothing. Tests own it, so
 * they can stop, kill or restart it without touching a user's Redis at 6379.
 */
export class RedisServer {
  private child: ChildProcess | undefined;
  private readonly dir: string;
  private readonly hasConfig: boolean;

  private constructor(
    readonly port: number,
    readonly host: string,
    private readonly args: string[],
    private readonly prefix: string[],
    private readonly password?: string,
    private readonly tls?: RedisServerOptions['tls'],
    config?: string,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'fleet-redis-'));
    if (config !== undefined) writeFileSync(this.configFile, config);
    this.hasConfig = config !== undefined;
  }

  private get configFile(): string {
    return join(this.dir, 'redis.conf');
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    if (!redisServerInstalled()) throw new RedisServerMissingError();
    const host = options.host ?? '127.0.0.1';
    // A port free here is as good a guess as any inside a namespace (where this process cannot look).
    const port = options.port ?? (await freePort(options.prefix ? '127.0.0.1' : host));
    const server = new RedisServer(
      port,
      host,
      options.args ?? [],
      options.prefix ?? [],
      options.password,
      options.tls,
      options.config,
    );
    await server.launch();
    return server;
  }

  /** `redis://` (`rediss://` with TLS), with the password when it has one. */
  get url(): string {
    const auth = this.password ? `:${encodeURIComponent(this.password)}@` : '';
    return `${this.tls ? 'rediss' : 'redis'}://${auth}${this.host}:${this.port}`;
  }

  private get logFile(): string {
    return join(this.dir, 'redis.log');
  }

  /** The tail of the server's own log, for error messages. */
  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8').slice(-4000);
    } catch {
      return '(no log)';
    }
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  private async launch(): Promise<void> {
    const [command = 'redis-server', ...prefixArgs] = [...this.prefix, 'redis-server'];
    const child = spawn(
      command,
      [
        ...prefixArgs,
        ...(this.hasConfig ? [this.configFile] : []),
        ...this.listenArgs(),
        '--bind',
        this.host,
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
        '--daemonize',
        'no',
        '--logfile',
        this.logFile,
        ...this.args,
      ],
      // No pipes: an open pipe to the child keeps Jest's process from exiting.
      { stdio: 'ignore' },
    );
    this.child = child;
    child.unref(); // the owner stops it; a forgotten server must not keep a test process alive
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`redis-server on port ${this.port} exited at start:\n${this.log()}`);
      if (await this.ping()) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGKILL');
    throw new Error(`redis-server on port ${this.port} did not answer PING within 10 s:\n${this.log()}`);
  }

  private listenArgs(): string[] {
    const auth = this.password ? ['--requirepass', this.password] : [];
    if (!this.tls) return ['--port', String(this.port), ...auth];
    const t = this.tls;
    return [
      '--port',
      '0',
      '--tls-port',
      String(this.port),
      '--tls-cert-file',
      t.certFile,
      '--tls-key-file',
      t.keyFile,
      '--tls-ca-cert-file',
      t.caFile,
      '--tls-auth-clients',
      'no',
      ...auth,
    ];
  }

  /**
   * A raw RESP PING over a socket (no client library, so no reconnect timers linger). A server
   * whose password this object does not know (a Sentinel's `requirepass` in its config) answers
   * NOAUTH: it is up all the same.
   */
  private ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket: Socket = this.tls
        ? tlsConnect({
            host: this.host,
            port: this.port,
            ca: readFileSync(this.tls.caFile),
            servername: 'localhost',
          })
        : connect({ host: this.host, port: this.port });
      const ready = this.tls ? 'secureConnect' : 'connect';
      const auth = this.password ? `AUTH ${this.password}\r\n` : '';
      let reply = '';
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(1000, () => done(false));
      socket.on('error', () => done(false));
      socket.on(ready, () => socket.write(`${auth}PING\r\n`));
      socket.on('data', (chunk: Buffer) => {
        reply += chunk.toString();
        // After an AUTH the first line is its +OK; PING's reply follows.
        const lines = reply.split('\r\n');
        const wanted = auth ? 2 : 1;
        if (lines[0]?.startsWith('-NOAUTH')) done(true);
        else if (lines.length > wanted) done(lines[wanted - 1] === '+PONG');
      });
    });
  }

  /** Stop the server (SIGTERM, or the signal given) and wait for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  /** Start a stopped server again on the same port and directory (an outage's end). */
  async resume(): Promise<void> {
    if (!this.running) await this.launch();
  }

  /** Start again on the same port (data is gone unless `args` turned persistence on). */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
