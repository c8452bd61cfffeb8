import type { RedisServer } from '../redis-server.ts';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __fleetRedis?: RedisServer }).__fleetRedis;
  await server?.close();
}
