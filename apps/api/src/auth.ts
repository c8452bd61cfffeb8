import { type ApiKeyRing, bearerToken, type Principal } from '@fleet/auth';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from './api-error.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent the request (null on public routes without a key). */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** No key needed (health, readiness, docs). */
    public?: boolean;
    /** Admin keys only. */
    admin?: boolean;
    /** Also accepts a login session (Bull Board's cookie) when no Authorization header is sent. */
    session?: SessionAuth;
  }
}

/** How a route reads a login session instead of a Bearer key (set as `config.session`). */
export interface SessionAuth {
  /** The session's principal; null without a session or for an ended one. May throw (CSRF_REJECTED). */
  principal(request: FastifyRequest): Promise<Principal | null>;
  /** Where a browser with neither key nor session is sent (a login page); null answers 401. */
  loginUrl(request: FastifyRequest): string | null;
}

export interface AuthOptions {
  keys: ApiKeyRing;
  /** Names of revoked keys (kept current by the caller); a revoked key is refused like a wrong one. */
  isRevoked?: (name: string) => boolean;
}

/** Authenticates every route not marked `config.public`; `config.admin` routes need an admin key. */
export function installAuth(app: FastifyInstance, options: AuthOptions): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config;
    const header = request.headers.authorization;
    const token = bearerToken(header);
    let principal = token ? options.keys.verify(token) : null;
    // A session is read only when no header came: a sent key, even a wrong one, is what counts.
    if (header === undefined && config.session) principal = await config.session.principal(request);
    request.principal = principal && !options.isRevoked?.(principal.name) ? principal : null;
    if (config.public || request.is404) return;
    if (!request.principal) {
      const login = header === undefined ? config.session?.loginUrl(request) : null;
      if (login) return reply.redirect(login, 303);
      throw unauthorized(
        header === undefined || token === null
          ? 'send "Authorization: Bearer <API key>"'
          : 'the API key is not valid (unknown or revoked)',
      );
    }
    if (config.admin && request.principal.role !== 'admin') throw forbidden();
  });
}

/** The request's principal on an authenticated route. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorized();
  return request.principal;
}
