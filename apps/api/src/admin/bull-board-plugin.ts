import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { fastifyCookie } from '@fastify/cookie';
import formbody from '@fastify/formbody';
import { RedisKeyRevocations } from '@fleet/redis';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../api-error.js';
import type { SessionAuth } from '../auth.js';
import type { ApiContext } from '../context.js';
import { AdminSessionStore } from './admin-session-store.js';
import { loginPage, logoutPage, PAGE_HEADERS } from './login-page.js';
import { assertSameOrigin } from './same-origin.js';

export const BOARD_PATH = '/admin/queues';
export const LOGIN_PATH = '/admin/login';
export const LOGOUT_PATH = '/admin/logout';
export const SESSION_COOKIE = 'fleet_admin_session';
/** The cookie goes only to the admin pages, never to the JSON API. */
const COOKIE_PATH = '/admin';

function sessionId(request: FastifyRequest): string | null {
  const header = request.headers.cookie;
  return header ? (fastifyCookie.parse(header)[SESSION_COOKIE] ?? null) : null;
}

/** The session cookie's attributes: Secure when the request came over https (as Fastify sees it). */
export function sessionCookieOptions(request: Pick<FastifyRequest, 'protocol'>) {
  return {
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: request.protocol === 'https',
  };
}

/** Does a parsed JSON body hold a NUL character in any string or key? (Iterative.) */
export function holdsNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node === 'string') {
      if (node.includes('\u0000')) return true;
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (key.includes('\u0000')) return true;
        stack.push(child);
      }
    }
  }
  return false;
}

function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.status(status).headers(PAGE_HEADERS).send(html);
}

/**
 * Bull Board for the items queue at `/admin/queues`, for admin keys only: a Bearer key, or the
 * session cookie that `POST /admin/login` sets after checking an admin key. Cookie-authenticated
 * state-changing requests must come from this origin (see same-origin.ts). Register it after the
 * authentication, rate-limit and Redis hooks: an encapsulated plugin takes its parent's hooks
 * as they are when it is registered.
 */
export async function registerBullBoard(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const sessions = new AdminSessionStore(ctx.redis, ctx.settings.prefix);
  const revocations = new RedisKeyRevocations(ctx.redis, ctx.settings.prefix);

  const session: SessionAuth = {
    async principal(request) {
      const id = sessionId(request);
      if (!id) return null;
      assertSameOrigin(request);
      const name = await sessions.keyName(id);
      // The key's current role from the configured keys; a key removed from FLEET_API_KEYS is gone.
      return name ? (ctx.keys.principals().find((p) => p.name === name) ?? null) : null;
    },
    loginUrl: (request) =>
      request.method === 'GET' && /\btext\/html\b/.test(request.headers.accept ?? '') ? LOGIN_PATH : null,
  };

  // Login and logout: the only routes that take form bodies and set cookies (both plugins are
  // encapsulated here, so the JSON API and the board keep refusing form bodies with 415).
  await app.register(async (pages) => {
    await pages.register(formbody);
    await pages.register(fastifyCookie);
    const open = { config: { public: true } };

    pages.get(LOGIN_PATH, open, async (_request, reply) => sendPage(reply, 200, loginPage()));

    pages.post(LOGIN_PATH, open, async (request, reply) => {
      assertSameOrigin(request); // login CSRF: a foreign page must not log a browser in
      const body = request.body as Record<string, unknown> | undefined;
      const key = typeof body?.key === 'string' ? body.key.trim() : '';
      const principal = key ? ctx.keys.verify(key) : null;
      if (!principal || (await revocations.isRevoked(principal.name))) {
        request.log.warn({ ip: request.ip }, 'admin login refused: unknown or revoked key');
        return sendPage(reply, 401, loginPage('That key is not valid (unknown or revoked).'));
      }
      if (principal.role !== 'admin') {
        request.log.warn({ keyName: principal.name }, 'admin login refused: not an admin key');
        return sendPage(reply, 403, loginPage('That key is not an admin key: the queue board needs one.'));
      }
      const id = await sessions.create(principal.name);
      request.log.info({ keyName: principal.name }, 'admin session started');
      return reply
        .setCookie(SESSION_COOKIE, id, { ...sessionCookieOptions(request), maxAge: sessions.ttlSec })
        .redirect(BOARD_PATH, 303);
    });

    pages.get(LOGOUT_PATH, open, async (_request, reply) => sendPage(reply, 200, logoutPage()));

    pages.post(LOGOUT_PATH, open, async (request, reply) => {
      assertSameOrigin(request);
      const id = sessionId(request);
      if (id) await sessions.end(id);
      return reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(request)).redirect(LOGIN_PATH, 303);
    });
  });

  await app.register(async (boardApp) => {
    // Every board route (its pages, static files and JSON API) is admin-only and takes the session.
    boardApp.addHook('onRoute', (route) => {
      route.config = { ...route.config, admin: true, session };
    });
    // Bull Board packs a validation message as `<key>\0<JSON options>` and unpacks it by splitting
    // on NUL: a NUL in the body, echoed in such a message, makes the unpacking throw (a 500). Its
    // UI never sends one.
    boardApp.addHook('preValidation', async (request) => {
      if (request.body !== undefined && holdsNul(request.body)) {
        throw new ApiError('VALIDATION_FAILED', 'the body holds a NUL character', [
          { field: '', message: 'NUL (U+0000) is not accepted by the queue board' },
        ]);
      }
    });
    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath(BOARD_PATH);
    const shown = new Set<string>();
    const bullBoard = createBullBoard({
      queues: [new BullMQAdapter(ctx.queue)],
      serverAdapter,
      options: {
        uiConfig: { boardTitle: 'Fleet queues', miscLinks: [{ text: 'Log out', url: LOGOUT_PATH }] },
      },
    });
    // The board's plugin sets its own error handler; rethrowing hands every error (401, 403, 429,
    // 503, CSRF_REJECTED, crashes) to the API's handler, so they get the API's one error shape.
    serverAdapter.setErrorHandler((error) => {
      throw error;
    });
    // Scenario queues appear as workers advertise their scenarios (read again at most every 2 s).
    let readAt = 0;
    boardApp.addHook('onRequest', async () => {
      if (Date.now() - readAt < 2000) return;
      readAt = Date.now();
      const ids = (await ctx.scenarios.list().catch(() => [])).map((s) => s.id);
      for (const id of ids) {
        if (shown.has(id)) continue;
        shown.add(id);
        bullBoard.addQueue(new BullMQAdapter(ctx.queues.of(id)));
      }
    });
    await boardApp.register(serverAdapter.registerPlugin(), { prefix: BOARD_PATH });
  });
}
