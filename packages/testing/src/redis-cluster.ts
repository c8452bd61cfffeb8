import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
// .ts, not .js: Jest's globalSetup loads this file without the preset's module mapper.
import { freePortWith } from './free-port.ts';
import type { RedisAddress } from './redis-sentinel.ts';
import { RedisServer } from './redis-server.ts';
import { waitFor } from './wait.ts';

const run = promisify(execFile);

/** Structurally @fleet/redis' cluster `RedisTarget` (packages/testing must not depend on @fleet/redis). */
export interface RedisClusterTarget {
  kind: 'cluster';
  nodes: RedisAddress[];
  password?: string;
}

export interface RedisClusterOptions {
  /** `requirepass` (and `masterauth`) of every node. */
  password?: string;
  /** Masters (default 3); each gets one replica. */
  masters?: number;
  /**
   * `cluster-node-timeout` (default 1000 ms): how long a master may be silent before its replica
   * takes over. Redis' default (15 s) would make every failover test wait that long.
   */
  nodeTimeoutMs?: number;
}

/** One line of CLUSTER NODES. */
interface NodeLine {
  id: string;
  port: number;
  flags: string[];
  masterId: string;
  linkState: string;
  /** First slot it serves (masters), for a stable order. */
  firstSlot: number;
  /** Slot ranges it serves, [first, last] inclusive. */
  ranges: [number, number][];
}

function parseNodes(text: string): NodeLine[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id = '', address = '', flags = '', masterId = '', , , , linkState = '', ...slots] =
        line.split(' ');
      const port = Number(address.split('@')[0]?.split(':').pop());
      const ranges = slots
        .filter((s) => /^\d/.test(s))
        .map((s) => {
          const [a = '', b = a] = s.split('-');
          return [Number(a), Number(b)] as [number, number];
        });
      const first = ranges[0]?.[0];
      return {
        id,
        port,
        flags: flags.split(','),
        masterId,
        linkState,
        firstSlot: first ?? Number.POSITIVE_INFINITY,
        ranges,
      };
    });
}

const isMaster = (n: NodeLine) => n.flags.includes('master') && !n.flags.some((f) => f.startsWith('fail'));

/**
 * A real Redis Cluster on loopback: 3 masters with one replica each (6 redis-server processes, each
 * in its own folder on a free port), made with `redis-cli --cluster create`. Tests can SIGKILL a
 * master and wait for its replica to take over.
 */
export class RedisCluster {
  private constructor(
    readonly servers: RedisServer[],
    private readonly password: string | undefined,
  ) {}

  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const masters = options.masters ?? 3;
    // requirepass comes with RedisServer's `password`; replicas need it to sync from their master.
    const auth = options.password ? ['--masterauth', options.password] : [];
    const args = [
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
      '--cluster-node-timeout',
      String(options.nodeTimeoutMs ?? 1000),
      // Fleet's own rule for its Redis (checkEvictionPolicy warns otherwise).
      '--maxmemory-policy',
      'noeviction',
      ...auth,
    ];
    const servers: RedisServer[] = [];
    try {
      for (let i = 0; i < masters * 2; i++) {
        // Each node also listens on port + 10000, its cluster bus: both must be free.
        const port = await freePortWith(10_000);
        const credentials = options.password ? { password: options.password } : {};
        servers.push(await RedisServer.start({ port, args, ...credentials }));
      }
      const cluster = new RedisCluster(servers, options.password);
      await cluster.create();
      return cluster;
    } catch (error) {
      await Promise.all(servers.map((s) => s.close()));
      throw error;
    }
  }

  private async create(): Promise<void> {
    const addresses = this.servers.map((s) => `${s.host}:${s.port}`);
    const auth = this.password ? ['-a', this.password, '--no-auth-warning'] : [];
    try {
      await run(
        'redis-cli',
        [...auth, '--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes'],
        { timeout: 30_000 },
      );
    } catch (error) {
      const out = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(
        `redis-cli --cluster create failed: ${out.message}\n${out.stdout ?? ''}${out.stderr ?? ''}`,
      );
    }
    await this.waitHealthy();
  }

  /** Every node's address (the seed list a client is given). */
  nodes(): RedisAddress[] {
    return this.servers.map((s) => ({ host: s.host, port: s.port }));
  }

  /** What a test passes to `createRedis`. */
  target(): RedisClusterTarget {
    return { kind: 'cluster', nodes: this.nodes(), ...(this.password ? { password: this.password } : {}) };
  }

  /** The servers that are masters now (by first slot served: 0-5460 first). */
  async masters(): Promise<RedisServer[]> {
    const lines = (await this.topology()).filter(
      (n) => isMaster(n) && n.firstSlot !== Number.POSITIVE_INFINITY,
    );
    lines.sort((a, b) => a.firstSlot - b.firstSlot);
    return lines.map((line) => this.serverOn(line.port));
  }

  /** The index (in `masters()`) of the master serving `key`'s slot (CLUSTER KEYSLOT). */
  async masterIndexOf(key: string): Promise<number> {
    const running = this.servers.find((s) => s.running);
    if (!running) throw new Error('no node of the cluster is running');
    const slot = Number(await this.command(running, ['CLUSTER', 'KEYSLOT', key]));
    const masters = await this.masters();
    const owner = (await this.topology()).find(
      (n) => isMaster(n) && n.ranges.some(([a, b]) => slot >= a && slot <= b),
    );
    const index = masters.findIndex((m) => m.port === owner?.port);
    if (index < 0) throw new Error(`no master serves slot ${slot} (${key})`);
    return index;
  }

  /**
   * SIGKILL the `index`th master (as `masters()` orders them) and wait until its replica has
   * taken over and every live node says cluster_state:ok. Returns the killed server and the one
   * promoted.
   */
  async killMaster(index: number): Promise<{ killed: RedisServer; promoted: RedisServer }> {
    const topology = await this.topology();
    const victim = (await this.masters())[index];
    if (!victim) throw new Error(`no master #${index}`);
    const victimId = topology.find((n) => n.port === victim.port)?.id;
    await victim.stop('SIGKILL');
    const promoted = await waitFor(
      `a replica of the killed master :${victim.port} to be promoted`,
      async () => {
        const now = await this.topology();
        const dead = now.find((n) => n.id === victimId);
        if (!dead?.flags.includes('fail')) return undefined;
        // The old replica is a master serving the victim's first slot now.
        const heir = now.find(
          (n) => isMaster(n) && n.firstSlot === topology.find((t) => t.id === victimId)?.firstSlot,
        );
        return heir && heir.port !== victim.port ? this.serverOn(heir.port) : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    await this.waitHealthy();
    return { killed: victim, promoted };
  }

  /** Start a killed node again: it rejoins (from its nodes.conf) as a replica of its heir. */
  async revive(server: RedisServer): Promise<void> {
    await server.resume();
    await this.waitHealthy();
  }

  /**
   * Until every running node says cluster_state:ok, sees every slot served, and every running
   * replica's link to its master is up (a replica that never synced cannot take over).
   */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      'every node of the cluster to say cluster_state:ok with replicas in sync',
      async () => {
        for (const server of this.servers.filter((s) => s.running)) {
          const info = await this.command(server, ['CLUSTER', 'INFO']).catch(() => '');
          if (!String(info).includes('cluster_state:ok')) return false;
          const replication = String(await this.command(server, ['INFO', 'replication']).catch(() => ''));
          if (replication.includes('role:slave') && !replication.includes('master_link_status:up'))
            return false;
        }
        return true;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  /** CLUSTER NODES as a running node sees it. */
  private async topology(): Promise<NodeLine[]> {
    for (const server of this.servers.filter((s) => s.running)) {
      const text = await this.command(server, ['CLUSTER', 'NODES']).catch(() => undefined);
      if (typeof text === 'string') return parseNodes(text);
    }
    throw new Error('no node of the cluster answers CLUSTER NODES');
  }

  private serverOn(port: number): RedisServer {
    const server = this.servers.find((s) => s.port === port);
    if (!server) throw new Error(`the cluster has no node on port ${port}`);
    return server;
  }

  /** One command on one node, over a connection that does not outlive it. */
  async command(server: RedisServer, args: string[]): Promise<unknown> {
    const redis = new Redis({
      host: server.host,
      port: server.port,
      ...(this.password ? { password: this.password } : {}),
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: true,
      connectTimeout: 1000,
    });
    redis.on('error', () => {});
    try {
      const [name = '', ...rest] = args;
      return await redis.call(name, ...rest);
    } finally {
      redis.disconnect();
    }
  }

  /** Stop every node and delete their folders. */
  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.close()));
  }
}
