import type { FastifyInstance } from 'fastify';
// The API's own record of its routes: an `onRoute` hook that registerDocs installs before every
// other route (docs.test.ts uses it to prove each route is documented). Not exported by the
// package, so it is imported from its file; it holds the routes of the app `buildServer` made.
import { registeredRoutes } from '../../../../apps/api/src/docs/docs-plugin.js';

/** One route as the app serves it: a method and a Fastify path (`:param`, `*`). */
export interface Route {
  method: string;
  path: string;
}

/**
 * Every route the API registered (its documented routes, Bull Board's, the docs', the
 * dashboard's), with the HEAD route Fastify adds for each GET.
 */
export function apiRoutes(app: FastifyInstance): Route[] {
  const seen = new Set<string>();
  const routes: Route[] = [];
  for (const r of registeredRoutes(app)) {
    for (const method of r.method === 'GET' ? ['GET', 'HEAD'] : [r.method]) {
      const route = { method, path: r.url };
      if (seen.has(routeKey(route))) continue;
      seen.add(routeKey(route));
      routes.push(route);
    }
  }
  if (routes.length === 0) throw new Error('the API registered no route: was registerDocs called first?');
  return routes;
}

/** `/v1/batches/:id/items` with `{id: 'b1'}` → `/v1/batches/b1/items`; a param not given becomes `fill`. */
export function fillPath(path: string, params: Record<string, string> = {}, fill = 'x'): string {
  return path
    .replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => encodeURIComponent(params[name] ?? fill))
    .replace(/\*$/, fill);
}

export const routeKey = (r: Route) => `${r.method} ${r.path}`;
