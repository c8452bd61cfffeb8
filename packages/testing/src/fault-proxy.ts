import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { freePort } from './free-port.js';
import { Prng } from './prng.js';

export interface FaultProxyOptions {
  /** Where every accepted connection is forwarded. */
  target: { host: string; port: number };
  /** The address it listens on (default loopback). */
  listenHost?: string;
  /** 0 (the default) takes a port from `freePort`, outside the kernel's ephemeral range, so that
   * `refuse(false)` can bind the same port again after a while of refusing. */
  listenPort?: number;
  /** Seeds the jitter and the drops, so a run can be repeated (default a fixed seed). */
  seed?: number;
}

export interface FaultCounts {
  /** Connections the proxy accepted (refused ones never reach it). */
  accepted: number;
  /** Connections the proxy reset on purpose (`dropConnections`, `dropAll`). */
  dropped: number;
  /** Connections whose client side is still open. */
  open: number;
  /** Bytes forwarded client → target, and target → client. */
  bytesUp: number;
  bytesDown: number;
  /** Bytes the blackhole swallowed, either way. */
  swallowed: number;
}

/** One direction of one connection: chunks (and the FIN, as `null`) leave in arrival order, each
 * once its delay has passed. One queue per direction, not a timer per chunk: timers with jittered
 * delays would reorder bytes. */
class Lane {
  private readonly queue: { due: number; chunk: Buffer | null }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastDue = 0;

  constructor(
    private readonly to: Socket,
    private readonly delivered: (bytes: number) => void,
  ) {}

  push(chunk: Buffer | null, delayMs: number): void {
    this.lastDue = Math.max(this.lastDue, performance.now() + delayMs);
    this.queue.push({ due: this.lastDue, chunk });
    if (this.timer === undefined) this.flush();
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private readonly flush = (): void => {
    this.timer = undefined;
    const now = performance.now();
    while (this.queue[0] && this.queue[0].due <= now) {
      const { chunk } = this.queue.shift()!;
      if (this.to.destroyed || this.to.writableEnded) continue;
      if (chunk === null) this.to.end();
      else {
        // No backpressure: a test path carries little, and the socket buffers what it cannot send yet.
        this.to.write(chunk);
        this.delivered(chunk.length);
      }
    }
    // A timer may fire a fraction of a millisecond early: whatever is not due yet waits again.
    const head = this.queue[0];
    if (head) this.timer = setTimeout(this.flush, Math.max(1, Math.ceil(head.due - now)));
  };
}

interface Connection {
  client: Socket;
  upstream: Socket | undefined;
  lanes: Lane[];
  /** Once the blackhole swallowed anything of it (a byte, a FIN, a reset), or accepted it, it stays
   * half-open for good: its stream has a hole, so only the client's own timeout can end it. */
  silent: boolean;
}

function reset(socket: Socket | undefined): void {
  if (socket && !socket.destroyed) socket.resetAndDestroy();
}

/**
 * A TCP proxy in front of one target that injects network faults on the path, live: latency with
 * jitter (order kept), connection resets, a blackhole (half-open connections) and refusal. For
 * tests and test beds where the kernel has no `netem`. Start it with `startFaultProxy`.
 */
export class FaultProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly connections = new Set<Connection>();
  private readonly tally = { accepted: 0, dropped: 0, bytesUp: 0, bytesDown: 0, swallowed: 0 };
  private readonly prng: Prng;
  private delay = { ms: 0, jitterMs: 0 };
  private dropProbability = 0;
  private blackholed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly target: { host: string; port: number },
    readonly host: string,
    readonly port: number,
    readonly seed: number,
  ) {
    this.prng = new Prng(seed);
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const host = options.listenHost ?? '127.0.0.1';
    const port = options.listenPort || (await freePort(host));
    const proxy = new FaultProxy(options.target, host, port, options.seed ?? 0x5eed);
    await proxy.listen();
    return proxy;
  }

  /** `host:port` (IPv6 in brackets). */
  get address(): string {
    return `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** `<scheme>://host:port`, e.g. `url('redis')` for ioredis. */
  url(scheme: string): string {
    return `${scheme}://${this.address}`;
  }

  /** Delays every chunk, each way, by `ms` ± `jitterMs` (never below 0), keeping its order. */
  latency(ms: number, jitterMs = 0): void {
    if (!(ms >= 0 && jitterMs >= 0)) throw new RangeError(`latency(${ms}, ${jitterMs}): both must be >= 0`);
    this.delay = { ms, jitterMs };
  }

  /** Resets each open connection with `probability` now, and each new one on accept with it from
   * now on (0 stops). Returns how many open connections it reset. */
  dropConnections(probability: number): number {
    if (!(probability >= 0 && probability <= 1))
      throw new RangeError(`probability ${probability} not in [0, 1]`);
    this.dropProbability = probability;
    return this.dropWhere(() => this.prng.chance(probability));
  }

  /** Resets every open connection at once (new ones are not affected). Returns how many. */
  dropAll(): number {
    return this.dropWhere(() => true);
  }

  /** While on, nothing is forwarded or answered: bytes either way are swallowed, new connections are
   * accepted but never connected onward, FINs and resets go nowhere. A connection that lost anything
   * stays silent after `blackhole(false)` (an idle one goes on); new connections are forwarded again. */
  blackhole(on: boolean): void {
    this.blackholed = on;
  }

  /** While on, nothing listens on the port: new connections get ECONNREFUSED. Open ones go on. */
  async refuse(on: boolean): Promise<void> {
    if (this.closing) return;
    if (on && this.server) {
      this.server.close(); // closes the listening socket now; its connections are ours to end
      this.server = undefined;
    } else if (!on && !this.server) {
      await this.listen();
    }
  }

  counts(): FaultCounts {
    let open = 0;
    for (const { client } of this.connections) if (!client.destroyed) open++;
    return { ...this.tally, open };
  }

  /** Stops listening and destroys every connection and pending delivery. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const server = this.server;
      this.server = undefined;
      const closed = server && new Promise<void>((resolve) => server.close(() => resolve()));
      for (const connection of this.connections) for (const lane of connection.lanes) lane.clear();
      for (const socket of this.sockets) socket.destroy();
      await closed;
    })();
    return this.closing;
  }

  private async listen(): Promise<void> {
    const server = createServer({ allowHalfOpen: true }, (client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.host, port: this.port }, () => resolve());
    });
    this.server = server;
  }

  private track(socket: Socket, connection: Connection): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.once('close', () => {
      this.sockets.delete(socket);
      if (connection.client.destroyed && (connection.upstream?.destroyed ?? true)) {
        for (const lane of connection.lanes) lane.clear();
        this.connections.delete(connection);
      }
    });
  }

  private accept(client: Socket): void {
    this.tally.accepted++;
    client.on('error', () => {});
    if (this.closing) return void client.destroy();
    if (this.dropProbability > 0 && this.prng.chance(this.dropProbability)) {
      this.tally.dropped++;
      return void reset(client);
    }
    const connection: Connection = { client, upstream: undefined, lanes: [], silent: this.blackholed };
    this.connections.add(connection);
    this.track(client, connection);
    if (connection.silent) {
      client.on('data', (chunk: Buffer) => this.swallow(connection, chunk));
      client.on('end', () => client.destroy());
      return;
    }
    const upstream = connect({ ...this.target, allowHalfOpen: true });
    upstream.on('error', () => {});
    connection.upstream = upstream;
    this.track(upstream, connection);
    this.wire(connection, client, upstream, (n) => (this.tally.bytesUp += n));
    this.wire(connection, upstream, client, (n) => (this.tally.bytesDown += n));
  }

  /** Forwards `from` → `to` through a lane; a reset on one side resets the other. */
  private wire(connection: Connection, from: Socket, to: Socket, delivered: (bytes: number) => void): void {
    const lane = new Lane(to, delivered);
    connection.lanes.push(lane);
    from.on('data', (chunk: Buffer) => {
      if (this.hushed(connection)) this.swallow(connection, chunk);
      else lane.push(chunk, this.nextDelay());
    });
    // A silent connection tells neither side of the other's FIN or reset; each socket is freed
    // when its own peer gives up.
    from.on('end', () => (this.hushed(connection) ? from.destroy() : lane.push(null, this.nextDelay())));
    from.on('error', () => {
      if (this.hushed(connection)) return;
      lane.clear();
      reset(to);
    });
  }

  /** True when nothing may cross this connection: the blackhole is on, or it lost a byte before. */
  private hushed(connection: Connection): boolean {
    if (this.blackholed) connection.silent = true;
    return connection.silent;
  }

  private swallow(connection: Connection, chunk: Buffer): void {
    connection.silent = true;
    this.tally.swallowed += chunk.length;
  }

  private nextDelay(): number {
    const { ms, jitterMs } = this.delay;
    return jitterMs === 0 ? ms : Math.max(0, ms + (this.prng.next() * 2 - 1) * jitterMs);
  }

  private dropWhere(pick: () => boolean): number {
    let dropped = 0;
    for (const connection of this.connections) {
      if (connection.client.destroyed || !pick()) continue;
      for (const lane of connection.lanes) lane.clear();
      reset(connection.client);
      reset(connection.upstream);
      dropped++;
    }
    this.tally.dropped += dropped;
    return dropped;
  }
}

/** Starts a `FaultProxy` in front of `options.target`, forwarding without faults until told. */
export function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  return FaultProxy.start(options);
}
