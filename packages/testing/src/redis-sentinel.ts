import { Redis } from 'ioredis';
import { RedisServer } from './redis-server.js';

/** host:port of one node. */
export interface RedisAddress {
  host: string;
  port: number;
}

/**
 * The `sentinel` shape of `@fleet/redis`'s RedisTarget, spelled again here: @fleet/redis
 * dev-depends on this package, so this package cannot import it (the shapes are structural).
 */
export interface SentinelTarget {
  kind: 'sentinel';
  sentinels: RedisAddress[];
  name: string;
  sentinelPassword?: string;
  password?: string;
}

export interface RedisSentinelGroupOptions {
  /** requirepass (and masterauth) of the data nodes; Sentinels use it to reach them. */
  password?: string;
  /** requirepass of the Sentinels themselves (they use it among themselves too). */
  sentinelPassword?: string;
  /** The master group's name (default `fleet`). */
  name?: string;
  /** Replicas beside the master (default 2). */
  replicas?: number;
  /** Sentinels (default 3; quorum 2). */
  sentinels?: number;
  /**
   * down-after-milliseconds: how long a silent master takes to count as down (default 1500). At
   * 1000 (the Sentinels' ping period) they took a just-promoted master for down again and failed
   * over a second time in 4 of 16 failovers here (its fresh link had not answered its first PING
   * yet); the node demoted that way stays a master for ~10 s until `+convert-to-slave`, while the
   * new master has no replica to confirm a WAIT. At 1500: 0 of 12.
   */
  downAfterMs?: number;
  /** Extra arguments of every data node (e.g. `['--maxmemory-policy', 'noeviction']`). */
  args?: string[];
}

const QUIET = {
  lazyConnect: true,
  maxRetriesPerRequest: 0,
  retryStrategy: () => null,
  disconnectTimeout: 10,
};

/** One command on a short-lived connection (no reconnect timers linger); null when it cannot be sent. */
async function ask(
  at: RedisAddress,
  password: string | undefined,
  command: string,
  ...args: string[]
): Promise<unknown> {
  const client = new Redis({ ...QUIET, host: at.host, port: at.port, password, connectTimeout: 1000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.call(command, ...args);
  } catch {
    return null;
  } finally {
    client.disconnect();
  }
}

/** The `field:value` lines of an INFO answer. */
function infoField(info: unknown, field: string): string | undefined {
  if (typeof info !== 'string') return undefined;
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A Redis Sentinel deployment on loopback made of real processes: a master, its replicas
 * (`--replicaof`) and Sentinels (`redis-server <conf> --sentinel`, quorum 2), each a
 * `RedisServer` on a free port with its own directory. Tests kill the master (SIGKILL), wait for
 * the Sentinels to promote a replica, and bring the old master back as a replica.
 */
export class RedisSentinelGroup {
  /** Data nodes (master first at start; `master()` says which one leads now). */
  readonly nodes: RedisServer[] = [];
  readonly sentinels: RedisServer[] = [];

  private constructor(
    readonly name: string,
    private readonly options: RedisSentinelGroupOptions,
  ) {}

  static async start(options: RedisSentinelGroupOptions = {}): Promise<RedisSentinelGroup> {
    const group = new RedisSentinelGroup(options.name ?? 'fleet', options);
    try {
      await group.launch();
    } catch (error) {
      await group.stop();
      throw error;
    }
    return group;
  }

  private dataArgs(): string[] {
    const password = this.options.password;
    return [
      // A replica's first sync starts at once (Redis 7 waits 5 s for more replicas by default).
      '--repl-diskless-sync-delay',
      '0',
      ...(password ? ['--requirepass', password, '--masterauth', password] : []),
      ...(this.options.args ?? []),
    ];
  }

  private async launch(): Promise<void> {
    const master = await RedisServer.start({ args: this.dataArgs() });
    this.nodes.push(master);
    for (let i = 0; i < (this.options.replicas ?? 2); i++) this.nodes.push(await this.startReplica(master));
    const o = this.options;
    const name = this.name;
    for (let i = 0; i < (o.sentinels ?? 3); i++) {
      const config = [
        `sentinel monitor ${name} ${master.host} ${master.port} 2`,
        `sentinel down-after-milliseconds ${name} ${o.downAfterMs ?? 1500}`,
        `sentinel failover-timeout ${name} 5000`,
        `sentinel parallel-syncs ${name} 1`,
        ...(o.password ? [`sentinel auth-pass ${name} ${o.password}`] : []),
        ...(o.sentinelPassword ? [`requirepass ${o.sentinelPassword}`] : []),
        '',
      ].join('\n');
      this.sentinels.push(await RedisServer.start({ config, args: ['--sentinel'] }));
    }
    // Ready once every replica is in sync and every Sentinel knows every replica and the other
    // Sentinels (hello messages).
    await this.until('replicas in sync and Sentinels to discover them and each other', async () => {
      const replication = await ask(master, o.password, 'INFO', 'replication');
      const online = typeof replication === 'string' ? replication.match(/state=online/g)?.length : 0;
      if (online !== this.nodes.length - 1) return false;
      for (const s of this.sentinels) {
        const info = await ask(s, o.sentinelPassword, 'INFO', 'sentinel');
        const line = infoField(info, 'master0') ?? '';
        if (!line.includes('status=ok')) return false;
        if (!line.includes(`slaves=${this.nodes.length - 1}`)) return false;
        if (!line.includes(`sentinels=${this.sentinels.length}`)) return false;
      }
      return true;
    });
  }

  private startReplica(master: RedisAddress, port?: number): Promise<RedisServer> {
    return RedisServer.start({
      ...(port ? { port } : {}),
      args: [...this.dataArgs(), '--replicaof', master.host, String(master.port)],
    });
  }

  /** What a Fleet app is given to reach the master through the Sentinels. */
  target(): SentinelTarget {
    return {
      kind: 'sentinel',
      sentinels: this.sentinels.map((s) => ({ host: s.host, port: s.port })),
      name: this.name,
      ...(this.options.sentinelPassword ? { sentinelPassword: this.options.sentinelPassword } : {}),
      ...(this.options.password ? { password: this.options.password } : {}),
    };
  }

  /** The settings (env names) of an app process that connects through the Sentinels. */
  env(): Record<string, string> {
    const o = this.options;
    return {
      REDIS_SENTINELS: this.sentinels.map((s) => `${s.host}:${s.port}`).join(','),
      REDIS_SENTINEL_NAME: this.name,
      ...(o.sentinelPassword ? { REDIS_SENTINEL_PASSWORD: o.sentinelPassword } : {}),
      ...(o.password ? { REDIS_PASSWORD: o.password } : {}),
    };
  }

  /** The master one Sentinel names, or null when it does not answer. */
  private async masterNamedBy(sentinel: RedisAddress): Promise<RedisAddress | null> {
    const a = await ask(
      sentinel,
      this.options.sentinelPassword,
      'SENTINEL',
      'get-master-addr-by-name',
      this.name,
    );
    return Array.isArray(a) && a.length === 2 ? { host: String(a[0]), port: Number(a[1]) } : null;
  }

  /** The master as the Sentinels name it now (the first live Sentinel that answers). */
  async master(): Promise<RedisAddress> {
    for (const s of this.sentinels.filter((x) => x.running)) {
      const named = await this.masterNamedBy(s);
      if (named) return named;
    }
    throw new Error(`no Sentinel of group ${this.name} answered get-master-addr-by-name`);
  }

  /** The data node that is the master now. */
  async masterNode(): Promise<RedisServer> {
    const at = await this.master();
    const node = this.nodes.find((n) => n.port === at.port && n.host === at.host);
    if (!node) throw new Error(`the Sentinels name ${at.host}:${at.port}, which is no node of this group`);
    return node;
  }

  /** SIGKILL to the master (no shutdown, no last write to replicas); returns the dead node. */
  async killMaster(): Promise<RedisServer> {
    const node = await this.masterNode();
    await node.stop('SIGKILL');
    return node;
  }

  /**
   * Waits until every live Sentinel names a master other than `old` and that node says it is a
   * master (a promoted replica answers `role:master` once REPLICAOF NO ONE ran). Returns it.
   */
  async waitForNewMaster(old: RedisAddress, timeoutMs = 30_000): Promise<RedisAddress> {
    let found: RedisAddress | undefined;
    await this.until(
      `a new master in place of ${old.host}:${old.port}`,
      async () => {
        const named = new Set<string>();
        let candidate: RedisAddress | null = null;
        for (const s of this.sentinels.filter((x) => x.running)) {
          candidate = await this.masterNamedBy(s);
          if (!candidate) return false;
          named.add(`${candidate.host}:${candidate.port}`);
        }
        if (!candidate || named.size !== 1 || named.has(`${old.host}:${old.port}`)) return false;
        const info = await ask(candidate, this.options.password, 'INFO', 'replication');
        if (infoField(info, 'role') !== 'master') return false;
        found = candidate;
        return true;
      },
      timeoutMs,
    );
    return found as RedisAddress;
  }

  /**
   * Starts a dead node again on its port as a replica of the current master (an operator's
   * restart: it comes back empty, this harness persists nothing, and syncs). Resolves once its
   * link to the master is up and the Sentinels list it as a replica that is not down.
   */
  async restartAsReplica(old: RedisServer, timeoutMs = 30_000): Promise<RedisServer> {
    if (old.running) throw new Error(`node ${old.port} is still running: kill it first`);
    const master = await this.master();
    const index = this.nodes.indexOf(old);
    await old.close();
    const node = await this.startReplica(master, old.port);
    if (index >= 0) this.nodes[index] = node;
    else this.nodes.push(node);
    await this.until(
      `${node.port} to replicate ${master.host}:${master.port}`,
      async () => {
        const info = await ask(node, this.options.password, 'INFO', 'replication');
        if (infoField(info, 'master_link_status') !== 'up') return false;
        for (const s of this.sentinels.filter((x) => x.running)) {
          const replicas = await ask(s, this.options.sentinelPassword, 'SENTINEL', 'replicas', this.name);
          if (!Array.isArray(replicas)) return false;
          const listed = replicas.some((fields) => {
            if (!Array.isArray(fields)) return false;
            const f = new Map<string, string>();
            for (let i = 0; i + 1 < fields.length; i += 2) f.set(String(fields[i]), String(fields[i + 1]));
            return f.get('port') === String(node.port) && !(f.get('flags') ?? '').includes('down');
          });
          if (!listed) return false;
        }
        return true;
      },
      timeoutMs,
    );
    return node;
  }

  /** Every process down and every directory gone. */
  async stop(): Promise<void> {
    await Promise.all([...this.sentinels, ...this.nodes].map((s) => s.close()));
  }

  private async until(what: string, ok: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await ok()) return;
      await sleep(100);
    }
    const logs = this.sentinels.map((s) => `sentinel ${s.port}:\n${s.log().slice(-1500)}`).join('\n');
    throw new Error(`waited ${timeoutMs} ms for ${what}\n${logs}`);
  }
}

/** A master and one real replica of it, without Sentinel (WAIT tests and the lease bench). */
export interface ReplicatedPair {
  master: RedisServer;
  replica: RedisServer;
  close(): Promise<void>;
}

/** Starts a master and a replica of it; resolves once the replica is in sync (`state=online`). */
export async function startReplicatedPair(): Promise<ReplicatedPair> {
  const master = await RedisServer.start({ args: ['--repl-diskless-sync-delay', '0'] });
  const replica = await RedisServer.start({ args: ['--replicaof', master.host, String(master.port)] });
  const close = async () => {
    await replica.close();
    await master.close();
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const info = await ask(master, undefined, 'INFO', 'replication');
    if (typeof info === 'string' && info.includes('state=online')) return { master, replica, close };
    if (Date.now() > deadline) {
      await close();
      throw new Error(`replica ${replica.port} did not sync with ${master.port} within 15 s`);
    }
    await sleep(50);
  }
}
