import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import {
  dashboardPage,
  notifierOrigins,
  pageHeaders,
  SCRIPT_PATH,
  SOCKET_IO_PATH,
} from './dashboard-page.js';

export const DEFAULT_NOTIFIER_URL = 'http://127.0.0.1:3001';
export const DEFAULT_REFRESH_MS = 5000;

export interface DashboardOptions {
  /** How often the page re-reads batches and pools besides live events (ms). */
  refreshMs?: number;
}

const SCRIPT_HEADERS = {
  'content-type': 'text/javascript; charset=utf-8',
  'x-content-type-options': 'nosniff',
};

/** socket.io-client's browser bundle (its exports map does not list the minified file). */
function socketIoBundle(): string {
  const require = createRequire(import.meta.url);
  return readFileSync(
    join(dirname(require.resolve('socket.io-client/package.json')), 'dist/socket.io.min.js'),
    'utf8',
  );
}

/**
 * The dashboard at `/` (public: the page asks for a key and sends it as a Bearer header itself),
 * with its script and the Socket.IO client served from here, so the page loads nothing from
 * elsewhere. Both files are read once, at registration.
 */
export function registerDashboard(
  app: FastifyInstance,
  ctx: ApiContext,
  options: DashboardOptions = {},
): void {
  // Its origin: Socket.IO would take a path for a namespace, and the notifier serves only `/`.
  const notifierUrl = notifierOrigins(ctx.settings.notifierPublicUrl ?? DEFAULT_NOTIFIER_URL).http;
  const html = dashboardPage({ notifierUrl, refreshMs: options.refreshMs ?? DEFAULT_REFRESH_MS });
  const headers = pageHeaders(notifierUrl);
  const script = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'dashboard-client.js'), 'utf8');
  const socketIo = socketIoBundle();
  const open = { config: { public: true } };

  app.get('/', open, async (_request, reply) => reply.headers(headers).send(html));
  app.get(SCRIPT_PATH, open, async (_request, reply) =>
    reply.headers({ ...SCRIPT_HEADERS, 'cache-control': 'no-cache' }).send(script),
  );
  app.get(SOCKET_IO_PATH, open, async (_request, reply) =>
    reply.headers({ ...SCRIPT_HEADERS, 'cache-control': 'public, max-age=86400' }).send(socketIo),
  );
}
