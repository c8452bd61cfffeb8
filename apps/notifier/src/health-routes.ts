import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody } from '@fleet/contracts';
import type { FleetRedis } from '@fleet/redis';

/**
 * Plain HTTP beside Socket.IO on the same port (Engine.IO takes `/socket.io/` first):
 * `/health` (alive, with a few counters) and `/ready` (Redis answers within a second).
 */
export function healthRoutes(redis: FleetRedis, stats: () => Record<string, unknown>) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/health') return send(200, { status: 'ok', ...stats() });
    if (req.method === 'GET' && path === '/ready') {
      try {
        await Promise.race([redis.ping(), new Promise((_, reject) => setTimeout(reject, 1000).unref())]);
        return send(200, { status: 'ready' });
      } catch {
        return send(503, errorBody('REDIS_UNAVAILABLE', 'Redis does not answer'));
      }
    }
    send(404, errorBody('NOT_FOUND', `no route ${req.method} ${path}`));
  };
}
