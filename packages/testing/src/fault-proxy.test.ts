import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Redis, type RedisOptions } from 'ioredis';
import { type FaultProxy, type FaultProxyOptions, startFaultProxy } from './fault-proxy.js';
import { RedisServer } from './redis-server.js';
import { waitFor } from './wait.js';

/** An echo server on loopback: every byte comes back, FIN included. */
async function startEcho(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Connects to the proxy; resolves once connected (the kernel accepts before the proxy sees it). */
function open(proxy: FaultProxy): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: proxy.host, port: proxy.port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Writes `say` and answers what happened first: the reply, or the error's code. */
function probe(socket: Socket, say = 'hi'): Promise<string> {
  return new Promise((resolve) => {
    socket.once('data', (chunk: Buffer) => resolve(chunk.toString()));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    socket.write(say);
  });
}

/** Connects to `port`, says `hi` and answers the reply or the error's code (at connect or after). */
async function exchange(port: number): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port });
  try {
    return await probe(socket);
  } finally {
    socket.destroy();
  }
}

/** True once a command answers `expected`; a failed attempt is just not yet. */
async function answers(command: Promise<unknown>, expected: unknown): Promise<boolean> {
  return command.then(
    (value) => value === expected,
    () => false,
  );
}

describe('fault proxy', () => {
  let echo: Awaited<ReturnType<typeof startEcho>>;
  let redis: RedisServer;
  const proxies: FaultProxy[] = [];
  const clients: Redis[] = [];

  const proxyTo = async (port: number, options: Partial<FaultProxyOptions> = {}) => {
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port }, ...options });
    proxies.push(proxy);
    return proxy;
  };
  const redisThrough = (proxy: FaultProxy, options: RedisOptions = {}) => {
    const client = new Redis(proxy.url('redis'), { retryStrategy: () => 50, ...options });
    client.on('error', () => {}); // resets and timeouts are the point here
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    echo = await startEcho();
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  });
  afterAll(async () => {
    await echo.close();
    await redis.close();
  });

  it('passes bytes intact and in order under latency and jitter', async () => {
    const proxy = await proxyTo(echo.port, { seed: 7 });
    proxy.latency(15, 15); // jitter as large as the latency: independent timers would reorder chunks
    const socket = await open(proxy);
    socket.setNoDelay(true);
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    let sent = '';
    for (let i = 0; i < 3000; i++) {
      const line = `${i}\n`;
      sent += line;
      socket.write(line);
      if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve)); // many separate chunks
    }
    const total = Buffer.byteLength(sent);
    await waitFor('the whole echo', () => Buffer.concat(received).length >= total, { timeoutMs: 20_000 });
    expect(Buffer.concat(received).toString()).toBe(sent);
    expect(received.length).toBeGreaterThan(1);
    expect(proxy.counts()).toMatchObject({
      accepted: 1,
      dropped: 0,
      open: 1,
      bytesUp: total,
      bytesDown: total,
    });
    socket.destroy();
  });

  it('delays each direction by at least the latency (redis PING through it)', async () => {
    const proxy = await proxyTo(redis.port);
    const client = redisThrough(proxy);
    expect(await client.ping()).toBe('PONG'); // connected and ready before measuring
    proxy.latency(60, 0);
    const started = performance.now();
    expect(await client.ping()).toBe('PONG');
    expect(performance.now() - started).toBeGreaterThanOrEqual(2 * 60); // there and back
  });

  it('forwards a FIN after the data queued before it', async () => {
    const proxy = await proxyTo(echo.port);
    proxy.latency(30, 20);
    const socket = await open(proxy);
    let echoed = '';
    socket.on('data', (chunk: Buffer) => {
      echoed += chunk.toString();
    });
    const ended = new Promise<void>((resolve) => socket.once('end', resolve));
    socket.end('last words');
    await ended;
    expect(echoed).toBe('last words');
    await waitFor('the connection gone', () => proxy.counts().open === 0);
  });

  it('dropAll resets open connections, and ioredis reconnects', async () => {
    const proxy = await proxyTo(redis.port);
    const client = redisThrough(proxy);
    await client.set('fault-proxy:k', 'v');
    const raw = await open(proxy);
    expect(await probe(raw, 'PING\r\n')).toBe('+PONG\r\n');
    const rawError = new Promise((resolve) =>
      raw.once('error', (error: NodeJS.ErrnoException) => resolve(error.code)),
    );
    expect(proxy.dropAll()).toBe(2);
    expect(await rawError).toBe('ECONNRESET');
    await waitFor('ioredis back through the proxy', () => answers(client.get('fault-proxy:k'), 'v'));
    expect(proxy.counts()).toMatchObject({ accepted: 3, dropped: 2 });
  });

  it('drops new connections at random, the same ones for the same seed', async () => {
    const outcomes = async (seed: number): Promise<string[]> => {
      const proxy = await proxyTo(echo.port, { seed });
      proxy.dropConnections(0.5);
      const seen: string[] = [];
      for (let i = 0; i < 24; i++) seen.push(await exchange(proxy.port));
      expect(proxy.counts().dropped).toBe(seen.filter((outcome) => outcome !== 'hi').length);
      return seen;
    };
    const first = await outcomes(42);
    // A reset connection fails with ECONNRESET (at connect or read), or EPIPE when a write raced it.
    for (const outcome of first) expect(['hi', 'ECONNRESET', 'EPIPE']).toContain(outcome);
    expect(first).toContain('hi');
    expect(first.some((outcome) => outcome !== 'hi')).toBe(true);
    expect((await outcomes(42)).map((o) => o === 'hi')).toEqual(first.map((o) => o === 'hi'));
  });

  it('blackhole makes a command time out, and the client recovers after', async () => {
    const proxy = await proxyTo(redis.port);
    // socketTimeout: ioredis drops a socket that stays silent after a write, then reconnects.
    const client = redisThrough(proxy, { commandTimeout: 300, socketTimeout: 1000 });
    await client.set('fault-proxy:b', 'before');
    proxy.blackhole(true);
    await expect(client.get('fault-proxy:b')).rejects.toThrow('Command timed out');
    expect(proxy.counts().swallowed).toBeGreaterThan(0);
    const during = await open(proxy); // accepted, but connected nowhere
    const swallowed = proxy.counts().swallowed;
    during.write('PING\r\n');
    await waitFor('the PING swallowed', () => proxy.counts().swallowed >= swallowed + 'PING\r\n'.length);
    proxy.blackhole(false);
    await waitFor('a command answered again', () => answers(client.get('fault-proxy:b'), 'before'));
    during.destroy();
  });

  it('refuse gives ECONNREFUSED while on; open connections go on; off listens again', async () => {
    const proxy = await proxyTo(echo.port);
    const kept = await open(proxy);
    await proxy.refuse(true);
    expect(await exchange(proxy.port)).toBe('ECONNREFUSED');
    expect(await probe(kept)).toBe('hi');
    await proxy.refuse(false);
    expect(await exchange(proxy.port)).toBe('hi');
    kept.destroy();
  });

  it('close ends every connection and pending delivery, and is idempotent', async () => {
    const proxy = await proxyTo(echo.port);
    const sockets = await Promise.all([open(proxy), open(proxy)]);
    const closed = sockets.map((socket) => new Promise((resolve) => socket.once('close', resolve)));
    await waitFor('both accepted', () => proxy.counts().open === 2);
    proxy.latency(60_000);
    for (const socket of sockets) socket.write('never delivered');
    await Promise.all([proxy.close(), proxy.close()]);
    await Promise.all(closed);
    expect(proxy.counts().open).toBe(0);
    expect(await exchange(proxy.port)).toBe('ECONNREFUSED');
    await proxy.close();
  });

  it('rejects a latency or probability out of range', async () => {
    const proxy = await proxyTo(echo.port);
    expect(() => proxy.latency(-1)).toThrow(RangeError);
    expect(() => proxy.dropConnections(1.5)).toThrow(RangeError);
  });
});
