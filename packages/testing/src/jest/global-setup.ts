import { RedisServer } from '../redis-server.ts';

// One throwaway redis-server for the whole Jest run of a package. Workers inherit the env var.
export default async function globalSetup(): Promise<void> {
  const server = await RedisServer.start();
  process.env.FLEET_TEST_REDIS_URL = server.url;
  (globalThis as { __fleetRedis?: RedisServer }).__fleetRedis = server;
}
