/**
 * Debug entry point: register the provider's profiles in a pool, creating some first if asked.
 *   pnpm --filter @fleet/worker import-profiles [--pool default] [--create 3]
 * Reads the worker's settings (REDIS_URL, FLEET_PREFIX, MULTILOGIN_*). Against the local launcher,
 * `--create N` makes sure at least N profiles exist there. A Fleet launcher (MULTILOGIN_API_URL and
 * MULTILOGIN_LAUNCHER_URL the same) is recorded as the profiles' home launcher (DESIGN.md section
 * 7); Multilogin X profiles get none (any worker's agent starts them).
 */
import { loadConfigOrExit } from '@fleet/config';
import { importProfiles, isFleetError } from '@fleet/core';
import { createRedis, RedisProfileStore, redisTargetOf, waitReady } from '@fleet/redis';
import { type WorkerSettings, workerSchema } from './config.js';
import { providerClient } from './provider.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const pool = flag('pool', 'default');
const create = Number(flag('create', '0'));
if (!Number.isInteger(create) || create < 0) {
  console.error('--create takes a whole number of profiles, e.g. --create 3');
  process.exit(2);
}

const s: WorkerSettings = loadConfigOrExit(workerSchema).getProperties();
const client = providerClient(s);
const redis = createRedis(redisTargetOf(s), { role: 'producer' });
try {
  await waitReady(redis);
  const store = new RedisProfileStore(redis, s.prefix);
  const existing = [];
  for await (const profile of client.allProfiles()) existing.push(profile);
  const [folder] = await client.listFolders();
  for (let i = existing.length; i < create; i++) {
    const id = await client.createProfile({ name: `fleet-${i + 1}`, folderId: folder!.id });
    existing.push({ id, folderId: folder!.id });
  }
  const fleetLauncher = new URL(s.multiloginApiUrl).origin === new URL(s.multiloginLauncherUrl).origin;
  const { registered, existing: already } = await importProfiles(store, existing, {
    pool,
    defaultFolderId: folder!.id,
    ...(fleetLauncher ? { launcher: new URL(s.multiloginLauncherUrl).origin } : {}),
  });
  console.log(`pool "${pool}": ${registered} profiles registered, ${already} already there`);
} catch (error) {
  console.error(isFleetError(error) ? `${error.code}: ${error.message}` : error);
  process.exitCode = 1;
} finally {
  redis.disconnect();
}
