import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ApiError, parseOr400 } from '../api-error.js';
import type { ApiContext } from '../context.js';
import type { RevocationCache } from '../revocation-cache.js';

const params = z.strictObject({ name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a key name') });
const admin = { config: { admin: true } };

/**
 * API keys (admin): list them (names and roles, never a key or hash), revoke one (the API refuses
 * it, notifiers drop its sockets) or restore it. Keys themselves come from FLEET_API_KEYS.
 */
export function registerKeyRoutes(app: FastifyInstance, ctx: ApiContext, revocations: RevocationCache): void {
  app.get('/v1/keys', admin, async () => {
    await revocations.refresh();
    return {
      keys: ctx.keys.principals().map((p) => ({ ...p, revoked: revocations.isRevoked(p.name) })),
    };
  });

  for (const action of ['revoke', 'restore'] as const) {
    app.post(`/v1/keys/:name/${action}`, admin, async (request) => {
      const { name } = parseOr400(params, request.params, 'path');
      if (!ctx.keys.principals().some((p) => p.name === name)) {
        throw new ApiError('KEY_NOT_FOUND', `no API key is named "${name}"`);
      }
      if (action === 'revoke' && request.principal?.name === name) {
        throw new ApiError('CANNOT_REVOKE_SELF', 'an admin key cannot revoke itself: use another admin key');
      }
      const changed = await revocations.set(name, action === 'revoke');
      return { name, revoked: action === 'revoke', changed };
    });
  }
}
