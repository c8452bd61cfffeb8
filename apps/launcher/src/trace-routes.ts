import { contextFrom, inSpan, SpanKind } from '@fleet/telemetry';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';

/**
 * Every route's handler runs inside a server span (`launcher <METHOD> <route>`) that continues the
 * caller's trace from its `traceparent` header: a worker's start of a profile shows, in the item's
 * trace, the launcher's part (the browser's launch and its WebDriver front). The route pattern,
 * not the URL, names it: no query string (it may carry credentials) reaches a span. Must be
 * installed before routes are registered (Fastify's onRoute). A no-op span when tracing is off.
 */
export function traceRoutes(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const handler = route.handler as RouteHandlerMethod;
    const method = Array.isArray(route.method) ? route.method.join(',') : route.method;
    const name = `launcher ${method} ${route.url}`;
    route.handler = function traced(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
      const header = request.headers.traceparent;
      return inSpan(
        name,
        {
          kind: SpanKind.SERVER,
          parent: contextFrom(typeof header === 'string' ? header : undefined),
          attributes: { 'http.request.method': request.method, 'http.route': route.url },
        },
        async () => handler.call(this, request, reply),
      );
    } as RouteHandlerMethod;
  });
}
