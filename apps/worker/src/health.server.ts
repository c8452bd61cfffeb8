import { createServer, type Server } from 'node:http';
import type { Redis } from 'ioredis';

/** `/health` (the process is alive) and `/ready` (Redis answers) on the worker's small HTTP port. */
export async function startHealthServer(
  port: number,
  redis: Redis,
  extra: () => Record<string, unknown> = () => ({}),
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/health') return send(200, { status: 'ok', ...extra() });
    if (req.url === '/ready') {
      try {
        await Promise.race([redis.ping(), new Promise((_, reject) => setTimeout(reject, 1000).unref())]);
        return send(200, { status: 'ready' });
      } catch {
        return send(503, {
          error: { code: 'REDIS_UNAVAILABLE', message: 'Redis does not answer', details: [] },
        });
      }
    }
    send(404, { error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}`, details: [] } });
  });
  await new Promise<void>((resolve) => server.listen(port, '0.0.0.0', resolve));
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address ? address.port : port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
