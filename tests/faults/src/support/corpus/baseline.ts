import { batchBody, KEYS } from '../api.js';
import { type Route, routeKey } from '../routes.js';
import type { CorpusContext, Json } from './shot.js';

export interface Base {
  key: string | null;
  params: Record<string, string>;
  query?: string;
  body?: Json;
  /** A body that is not JSON (the login form). */
  form?: string;
  headers?: Record<string, string>;
}

export const BODY_METHODS = ['POST', 'PUT', 'PATCH'];

/** One valid request for a route; routes not listed get a generic one (so new routes are covered). */
export function baseline(route: Route, c: CorpusContext): Base {
  const ops = KEYS.ops.key;
  const acme = KEYS.acme.key;
  const fallbackParams = {
    queueName: c.queueName,
    jobId: `${c.batchId}.0`,
    queueStatus: 'failed',
    schedulerId: 'fuzz-scheduler',
    id: 'zz-none',
    name: 'victim',
  };
  const sameOrigin = { 'sec-fetch-site': 'same-origin' };
  switch (routeKey(route)) {
    case 'POST /v1/batches':
      return { key: acme, params: {}, body: batchBody(2) as unknown as Json };
    case 'GET /v1/batches':
      return { key: acme, params: {}, query: 'limit=5' };
    case 'GET /v1/batches/:id':
      return { key: acme, params: { id: c.batchId } };
    case 'GET /v1/batches/:id/items':
      return { key: acme, params: { id: c.batchId }, query: 'limit=5&state=queued' };
    case 'POST /v1/batches/:id/cancel':
      return { key: acme, params: { id: c.cancelBatchId } };
    case 'GET /v1/artifacts/:id':
      return { key: acme, params: { id: c.artifactId } };
    case 'POST /v1/profiles':
      return {
        key: ops,
        params: {},
        body: {
          id: 'pv-new',
          pool: 'victims',
          tags: ['t1'],
          proxy: { type: 'http', host: 'proxy.test', port: 8080, username: 'u', password: 'fuzz-secret' },
        },
      };
    case 'GET /v1/profiles':
      return { key: ops, params: {}, query: 'pool=victims&state=available&limit=10' };
    case 'GET /v1/profiles/:id':
    case 'POST /v1/profiles/:id/release':
      return { key: ops, params: { id: 'pv' } };
    case 'PATCH /v1/profiles/:id':
      return { key: ops, params: { id: 'pv' }, body: { tags: ['t2'], proxy: null } };
    case 'DELETE /v1/profiles/:id':
      return { key: ops, params: { id: 'pv-gone' }, query: 'force=true' };
    case 'POST /v1/profiles/:id/quarantine':
      return { key: ops, params: { id: 'pv' }, body: { reason: 'fuzz', durationMs: 1000 } };
    case 'POST /v1/profiles/import':
      return { key: ops, params: {}, body: { pool: 'victims', limit: 5 } };
    case 'POST /v1/keys/:name/revoke':
    case 'POST /v1/keys/:name/restore':
      return { key: ops, params: { name: 'victim' } };
    case 'POST /admin/login':
      return { key: null, params: {}, form: `key=${KEYS.victim.key}`, headers: sameOrigin };
    case 'POST /admin/logout':
      return { key: null, params: {}, headers: sameOrigin };
    case 'POST /admin/queues/api/queues/:queueName/add':
      return { key: ops, params: fallbackParams, body: { name: 'fuzz', data: { a: 1 }, options: {} } };
    case 'PATCH /admin/queues/api/queues/:queueName/:jobId/update-data':
      return { key: ops, params: fallbackParams, body: { data: { a: 2 } } };
    case 'PUT /admin/queues/api/queues/:queueName/concurrency':
      return { key: ops, params: fallbackParams, body: { concurrency: 2 } };
  }
  const admin = /^\/(v1\/profiles|v1\/keys|admin\/queues)(\/|$)/.test(route.path);
  return {
    key: admin ? ops : acme,
    params: fallbackParams,
    ...(BODY_METHODS.includes(route.method) ? { body: {} } : {}),
  };
}
