import type { FastifyInstance } from 'fastify';
import type { BrowserPool } from './browser-pool.js';
import { LauncherError, success } from './envelope.js';
import type { ProfileRegistry } from './profile-registry.js';
import { parse, startQuerySchema } from './schemas.js';
import { LAUNCHER_VERSION } from './version.js';

export interface LauncherRouteDeps {
  registry: ProfileRegistry;
  pool: BrowserPool;
  /** True once the launcher is closing: no more starts. */
  isClosing: () => boolean;
}

interface ProfileParams {
  folderId?: string;
  profileId: string;
}

/** Multilogin's launcher (local agent) subset: start, stop, status, version. */
export function registerLauncherRoutes(
  app: FastifyInstance,
  { registry, pool, isClosing }: LauncherRouteDeps,
): void {
  const start = async (request: { params: unknown; query: unknown; log: FastifyInstance['log'] }) => {
    const { folderId, profileId } = request.params as ProfileParams;
    const profile = registry.get(profileId);
    const query = parse(startQuerySchema, request.query, 'query');
    if (folderId !== undefined && folderId !== profile.folder_id) {
      // Lenient like the contract asks: the profile id alone identifies it here.
      request.log.debug({ profileId, folderId }, 'start with a folder id that is not the profile folder');
    }
    if (isClosing()) throw new LauncherError('LAUNCHER_SHUTTING_DOWN', 'the launcher is shutting down');
    const result = await pool.start(profile, registry.userDataDir(profile.id), {
      headless: query.headless_mode,
      automationType: query.automation_type,
    });
    const core = Number(result.coreVersion);
    return success(
      {
        id: profile.id,
        browser_type: profile.browser_type,
        core_version: Number.isFinite(core) ? core : result.coreVersion,
        is_quick: false,
        // Multilogin answers the port as a string.
        port: String(result.port),
      },
      'Profile started',
    );
  };

  app.get('/api/v2/profile/f/:folderId/p/:profileId/start', start);
  app.get('/api/v1/profile/f/:folderId/p/:profileId/start', start);

  app.get('/api/v1/profile/stop/p/:profileId', async (request) => {
    const { profileId } = request.params as ProfileParams;
    registry.get(profileId);
    const wasRunning = await pool.stop(profileId);
    return success(null, wasRunning ? 'Profile stopped' : 'Profile was not running');
  });

  app.get('/api/v1/profile/status/p/:profileId', async (request) => {
    const { profileId } = request.params as ProfileParams;
    registry.get(profileId);
    return success({ id: profileId, status: pool.status(profileId) });
  });

  app.get('/api/v1/version', { config: { public: true } }, async () =>
    success({ version: LAUNCHER_VERSION, env: 'fleet-launcher' }),
  );
}
