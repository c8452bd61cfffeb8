import type { FastifyInstance } from 'fastify';
import type { TokenService } from './auth-tokens.js';
import type { BrowserPool } from './browser-pool.js';
import { LauncherError, success } from './envelope.js';
import {
  normalizeProxy,
  type ProfileProxy,
  type ProfileRegistry,
  toPublicProfile,
} from './profile-registry.js';
import {
  createProfileSchema,
  type ProxyInput,
  parse,
  partialUpdateSchema,
  refreshSchema,
  removeSchema,
  searchSchema,
  signInSchema,
  unlockQuerySchema,
} from './schemas.js';

export interface CloudDeps {
  tokens: TokenService;
  registry: ProfileRegistry;
  pool: BrowserPool;
}

type ProxyBody = {
  proxy?: ProxyInput | null | undefined;
  parameters?:
    | { proxy?: ProxyInput | null | undefined; flags?: { proxy_masking?: string | undefined } }
    | undefined;
};

/**
 * The proxy a create/update body asks for: `undefined` = leave as is, `null` = no proxy.
 * Multilogin puts it at `proxy` (partial_update) or `parameters.proxy` (create); both are read.
 * `proxy_masking: "disabled"` turns the proxy off.
 */
function requestedProxy(body: ProxyBody): ProfileProxy | null | undefined {
  if (body.parameters?.flags?.proxy_masking === 'disabled') return null;
  const input = body.proxy !== undefined ? body.proxy : body.parameters?.proxy;
  if (input === undefined) return undefined;
  const proxy = normalizeProxy(input);
  if (proxy?.type === 'socks5' && proxy.username) {
    throw new LauncherError(
      'PROXY_NOT_SUPPORTED',
      'proxy: socks5 with username/password is not supported by the local launcher; use an http proxy, or socks5 without credentials',
    );
  }
  return proxy;
}

/** Multilogin's cloud API subset: sign-in, tokens, folders, profiles. */
export function registerCloudRoutes(app: FastifyInstance, { tokens, registry, pool }: CloudDeps): void {
  app.post('/user/signin', { config: { public: true } }, async (request) => {
    const body = parse(signInSchema, request.body);
    return success(tokens.signIn(body.email, body.password), 'Successfully signed in');
  });

  app.post('/user/refresh_token', { config: { public: true } }, async (request) => {
    const body = parse(refreshSchema, request.body);
    return success(tokens.refresh(body.email, body.refresh_token), 'Token refreshed');
  });

  app.get('/workspace/automation_token', async (request) => {
    const query = request.query as { expiration_period?: unknown };
    const period = typeof query.expiration_period === 'string' ? query.expiration_period : '1d';
    return success(tokens.automationToken(period), 'Automation token issued');
  });

  app.get('/workspace/folders', async () => success({ folders: registry.folders() }));

  app.post('/profile/create', async (request) => {
    const body = parse(createProfileSchema, request.body);
    const profile = await registry.create({ ...body, proxy: requestedProxy(body) ?? null });
    return success({ ids: [profile.id] }, 'Profile created');
  });

  app.post('/profile/search', async (request) => {
    const query = parse(searchSchema, request.body);
    const { profiles, total_count } = registry.search(query);
    return success({ profiles: profiles.map(toPublicProfile), total_count });
  });

  app.post('/profile/partial_update', async (request) => {
    const body = parse(partialUpdateSchema, request.body);
    // A running browser keeps the proxy it started with; the change applies at the next start.
    await registry.update(body.profile_id, {
      name: body.name,
      folder_id: body.folder_id,
      notes: body.notes,
      tags: body.tags,
      proxy: requestedProxy(body),
    });
    return success(null, 'Profile successfully updated');
  });

  // Multilogin's cloud lock of a profile in use (left by a crashed session, it answers
  // LOCK_PROFILE_ERROR to the next start). Here a profile is "in use" while its browser runs on
  // this launcher: unlocking stops that browser. Fleet calls it only from reclaim, once the fenced
  // lease proved the old holder gone.
  app.get('/bpds/profile/unlock_profiles', async (request) => {
    const { ids } = parse(unlockQuerySchema, request.query, 'query');
    registry.assertExist(ids);
    await Promise.all(ids.map((id) => pool.stop(id)));
    return success(null, 'Profiles unlocked');
  });

  app.post('/profile/remove', async (request) => {
    const body = parse(removeSchema, request.body);
    registry.assertExist(body.ids);
    // A removed profile's browser must not outlive it (and its directory may be deleted).
    await Promise.all(body.ids.map((id) => pool.stop(id)));
    await registry.remove(body.ids, body.permanently === true);
    return success(null, 'Profiles removed');
  });
}
