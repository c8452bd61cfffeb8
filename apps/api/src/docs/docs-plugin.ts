import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { buildOpenApiDocument } from './openapi-document.js';

export interface SeenRoute {
  method: string;
  url: string;
}

const seen = new WeakMap<FastifyInstance, SeenRoute[]>();

/**
 * Every route registered on `app` after `registerDocs(app)` (collected by an `onRoute` hook), so a
 * test can check each one is documented. HEAD routes, which Fastify adds for each GET, are left out.
 */
export function registeredRoutes(app: FastifyInstance): readonly SeenRoute[] {
  return seen.get(app) ?? [];
}

/** Only assets from node_modules: no CDN, no validator badge, no inline script. */
const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

/**
 * The OpenAPI document, generated from the zod contracts, at `/openapi.json` and rendered by
 * Swagger UI at `/docs` (public; `/docs/json` serves the same document). Register it before the
 * routes it should see.
 */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  const routes: SeenRoute[] = [];
  seen.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      if (method !== 'HEAD') routes.push({ method, url: route.url });
  });

  const document = buildOpenApiDocument();
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, public: true };
    });
    docs.get('/openapi.json', async (_request, reply) =>
      reply.header('cache-control', 'no-cache').send(document),
    );
    await docs.register(swagger, { mode: 'static', specification: { document: document as never } });
    await docs.register(swaggerUi, {
      routePrefix: '/docs',
      staticCSP: DOCS_CSP,
      uiConfig: { deepLinking: true, persistAuthorization: false, displayOperationId: true },
    });
  });
}
