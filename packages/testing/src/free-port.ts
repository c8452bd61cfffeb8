import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Lowest port handed out: above the well-known services a development machine runs. */
const FIRST_PORT = 15_000;

/** The kernel's ephemeral range: where it picks ports for `listen(0)` and outgoing connections. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low && high && low <= high) return [low, high];
  } catch {
    // not Linux: the IANA range is the usual default
  }
  return [49_152, 65_535];
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * A free TCP port on `host` (loopback by default) for a server another process will bind later.
 * It is drawn at random from outside the kernel's ephemeral range: a port the kernel hands out
 * (`listen(0)`, the source port of any outgoing connection, a browser's DevTools port) could be
 * taken by something else in the moment between this answer and the bind — the cause of
 * "port in use" failures when a fleet started while Chromium opened connections.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return freePortWith(0, host);
}

/**
 * A free port whose `port + offset` is free too, both outside the ephemeral range: a Redis Cluster
 * node listens on its port and on port + 10000 (its cluster bus).
 */
export async function freePortWith(offset: number, host = '127.0.0.1'): Promise<number> {
  const [low, high] = ephemeralRange();
  const [from, last] = low - FIRST_PORT >= 1000 + offset ? [FIRST_PORT, low - 1] : [high + 1, 65_535];
  const to = last - offset;
  for (let i = 0; i < 200 && to > from; i++) {
    const port = from + Math.floor(Math.random() * (to - from + 1));
    if ((await canListen(port, host)) && (offset === 0 || (await canListen(port + offset, host))))
      return port;
  }
  throw new Error(`no free port on ${host} between ${from} and ${to} after 200 tries`);
}

export const __forTests = { ephemeralRange, canListen };
