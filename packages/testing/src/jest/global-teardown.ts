import type { RedisCluster } from '../redis-cluster.ts';
import type { RedisServer } from '../redis-server.ts';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis as { __fleetRedis?: RedisServer; __fleetCluster?: RedisCluster };
  await state.__fleetRedis?.close();
  await state.__fleetCluster?.stop();
}
