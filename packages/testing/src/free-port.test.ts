import { createServer, type Server } from 'node:net';
import { __forTests, freePort } from './free-port.js';

const { ephemeralRange, canListen } = __forTests;

describe('freePort', () => {
  it('answers ports outside the kernel ephemeral range that a server can bind', async () => {
    const [low, high] = ephemeralRange();
    for (let i = 0; i < 20; i++) {
      const port = await freePort();
      expect(port >= low && port <= high).toBe(false);
      expect(port).toBeGreaterThanOrEqual(1024);
      const srv = createServer();
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(port, '127.0.0.1', resolve);
      });
      await new Promise((resolve) => srv.close(resolve));
    }
  });

  it('never answers a port something listens on', async () => {
    const held: Server[] = [];
    try {
      const taken = new Set<number>();
      for (let i = 0; i < 30; i++) {
        const port = await freePort();
        expect(taken.has(port)).toBe(false);
        const srv = createServer();
        await new Promise<void>((resolve) => srv.listen(port, '127.0.0.1', resolve));
        held.push(srv);
        taken.add(port);
        expect(await canListen(port, '127.0.0.1')).toBe(false);
      }
    } finally {
      await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
    }
  });
});
