import { createServer, type Server } from 'node:http';
import type { FleetRedis } from '@fleet/redis';

/** What `/metrics` serves (a `WorkerMetrics` from @fleet/metrics). */
export interface MetricsSource {
  contentType: string;
  text(): Promise<string>;
}

/**
 * `/health` (the process is alive), `/ready` (Redis answers) and, when given metrics, `/metrics`
 * (Prometheus text format) on the worker's small HTTP port.
 */
export async function startHealthServer(
  port: number,
  redis: FleetRedis,
  extra: () => Record<string, unknown> = () => ({}),
  metrics?: MetricsSource,
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
    if (req.url === '/metrics' && metrics) {
      try {
        const text = await metrics.text();
        res.writeHead(200, { 'content-type': metrics.contentType });
        return res.end(text);
      } catch {
        return send(500, {
          error: { code: 'METRICS_FAILED', message: 'the metrics could not be collected', details: [] },
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
