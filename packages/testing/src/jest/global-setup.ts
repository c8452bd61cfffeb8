import { RedisCluster } from '../redis-cluster.ts';
import { RedisServer } from '../redis-server.ts';

/** The password of the run's cluster: every test (and child process) must pass it on. */
const CLUSTER_PASSWORD = 'fleet-test-cluster-pw';

// One throwaway redis-server (FLEET_TEST_REDIS=single, the default) or one throwaway Redis Cluster
// of 3 masters and 3 replicas (FLEET_TEST_REDIS=cluster) for the whole Jest run of a package.
// Workers inherit the env vars.
export default async function globalSetup(): Promise<void> {
  const mode = process.env.FLEET_TEST_REDIS ?? 'single';
  const state = globalThis as { __fleetRedis?: RedisServer; __fleetCluster?: RedisCluster };
  if (mode === 'cluster') {
    const cluster = await RedisCluster.start({ password: CLUSTER_PASSWORD });
    process.env.FLEET_TEST_REDIS_CLUSTER_NODES = cluster
      .nodes()
      .map((n) => `${n.host}:${n.port}`)
      .join(',');
    process.env.FLEET_TEST_REDIS_PASSWORD = CLUSTER_PASSWORD;
    delete process.env.FLEET_TEST_REDIS_URL;
    state.__fleetCluster = cluster;
    return;
  }
  if (mode !== 'single')
    throw new Error(`FLEET_TEST_REDIS="${mode}": use "single" (the default) or "cluster"`);
  const server = await RedisServer.start();
  process.env.FLEET_TEST_REDIS_URL = server.url;
  state.__fleetRedis = server;
}
