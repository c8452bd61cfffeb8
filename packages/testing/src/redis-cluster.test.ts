import { Cluster, Redis } from 'ioredis';
import { processesMatching } from './processes.js';
import { RedisCluster } from './redis-cluster.js';

/** A client on the cluster whose reconnect timers stop with it. */
function clientOf(cluster: RedisCluster, password: string): Cluster {
  const client = new Cluster(cluster.nodes(), {
    redisOptions: { password, maxRetriesPerRequest: 20 },
    clusterRetryStrategy: (times) => Math.min(100 * times, 1000),
  });
  client.on('error', () => {});
  return client;
}

describe('RedisCluster (6 real redis-server nodes)', () => {
  let cluster: RedisCluster;
  const password = 'harness-pw';

  beforeAll(async () => {
    cluster = await RedisCluster.start({ password });
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('serves every slot from 3 masters, each with a replica, behind a password', async () => {
    expect(cluster.nodes()).toHaveLength(6);
    expect(cluster.nodes().every((n) => n.host === '127.0.0.1' && n.port !== 6379)).toBe(true);
    expect(await cluster.masters()).toHaveLength(3);
    const [first] = cluster.servers;
    await expect(cluster.command(first!, ['CLUSTER', 'INFO'])).resolves.toContain(
      'cluster_slots_assigned:16384',
    );

    // Without the password a node refuses commands.
    const anonymous = new Redis({
      ...cluster.nodes()[0]!,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    anonymous.on('error', () => {});
    await expect(anonymous.set('k', 'v')).rejects.toThrow(/NOAUTH/);
    anonymous.disconnect();

    const client = clientOf(cluster, password);
    // Keys of different hash tags land on different masters.
    const slots = await Promise.all(['{a}', '{b}', '{c}', '{d}'].map((k) => client.cluster('KEYSLOT', k)));
    expect(new Set(slots).size).toBe(4);
    await Promise.all(['{a}', '{b}', '{c}', '{d}'].map((k) => client.set(`${k}:x`, k)));
    expect(await client.get('{c}:x')).toBe('{c}');
    client.disconnect();
  });

  it('a SIGKILLed master is replaced by its replica, with the replicated data, and rejoins as a replica', async () => {
    const client = clientOf(cluster, password);
    const before = await cluster.masters();
    // Keys on every master, replicated before the kill (WAIT: one replica has them).
    for (let i = 0; i < 30; i++) await client.set(`fo:${i}`, String(i));
    await Promise.all((await client.nodes('master')).map((node) => node.call('WAIT', '1', '2000')));

    const { killed, promoted } = await cluster.killMaster(0);
    expect(killed.port).toBe(before[0]!.port);
    expect(killed.running).toBe(false);
    expect(promoted.port).not.toBe(killed.port);
    const after = await cluster.masters();
    expect(after.map((s) => s.port)).toContain(promoted.port);
    expect(after.map((s) => s.port)).not.toContain(killed.port);

    const values = await Promise.all(Array.from({ length: 30 }, (_, i) => client.get(`fo:${i}`)));
    expect(values).toEqual(Array.from({ length: 30 }, (_, i) => String(i)));

    await cluster.revive(killed);
    const role = String(await cluster.command(killed, ['ROLE']));
    expect(role.startsWith('slave')).toBe(true);
    client.disconnect();
  }, 90_000);

  it('stop() leaves no redis-server of its own behind', async () => {
    const other = await RedisCluster.start();
    const ports = other.nodes().map((n) => n.port);
    await other.stop();
    // redis-server retitles itself `redis-server 127.0.0.1:<port> [cluster]`.
    const left = processesMatching((args) => {
      const line = args.join(' ');
      return line.includes('redis-server') && ports.some((port) => line.includes(`:${port}`));
    });
    expect(left).toEqual([]);
  }, 60_000);
});
