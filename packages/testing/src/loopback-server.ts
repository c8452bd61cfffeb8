import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Listen on a free 127.0.0.1 port and track every connection, so `close()` ends at once even with
 * keep-alive or tunnelled sockets open. Pass `sockets` to add connections of your own (e.g. a
 * proxy's upstream sockets) to what `close()` destroys.
 */
export function listenOnLoopback(
  server: Server,
  sockets: Set<Socket> = new Set(),
): Promise<{ port: number; close(): Promise<void> }> {
  return listenOn(server, '127.0.0.1', sockets);
}

/** `listenOnLoopback` on another local address (e.g. a test bridge's, reached from namespaces). */
export async function listenOn(
  server: Server,
  host: string,
  sockets: Set<Socket> = new Set(),
): Promise<{ port: number; close(): Promise<void> }> {
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('the server has no port');
  return {
    port: address.port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await closed;
    },
  };
}
