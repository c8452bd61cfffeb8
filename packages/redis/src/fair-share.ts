import type { FleetRedis } from './connection.js';
import { type FairKeys, Keys } from './keys.js';

/** A tenant's share settings (an API key's `weight` and `maxRunning` in FLEET_API_KEYS). */
export interface TenantShare {
  /** Its share of running slots relative to other tenants with work (default 1). */
  weight: number;
  /** Items of it running at once, at most (0: no cap). */
  cap: number;
}

/** An item as the dispatcher hands it to BullMQ: its job id, BullMQ options and job data. */
export interface FairItem<T = unknown> {
  id: string;
  opts: Record<string, unknown>;
  data: T;
}

/** A tenant's standing (`GET /v1/pools`, `fleet_tenant_items`). */
export interface TenantStanding extends TenantShare {
  tenant: string;
  /** Items not yet handed to BullMQ. */
  waiting: number;
  /** Items handed to BullMQ and not finished (running, or ready/retrying in BullMQ). */
  running: number;
}

/** An item holding one of its tenant's running slots. */
export interface RunningEntry {
  tenant: string;
  queue: string;
  id: string;
}

const SEP = '\t';

/**
 * Fair share between tenants over Redis (README "Sharing a fleet", DESIGN.md §4): items wait in
 * per-tenant, per-batch lists (`lua/fair-add-1.lua`) until a dispatcher takes them, weighted and
 * capped (`fair-take-1.lua`), and hands them to BullMQ; finished items give their slot back
 * (`fair-done-1.lua`). Every key is in one slot (`{fair}`), so each step is one atomic script.
 */
export class RedisFairShare {
  private readonly k: FairKeys;
  private soon: { entries: RunningEntry[]; sent: Promise<void> } | null = null;

  constructor(
    private readonly redis: FleetRedis,
    prefix: string,
  ) {
    this.k = new Keys(prefix).fair;
  }

  /**
   * Adds a chunk of a batch's items (`first`: the chunk's first item index). Idempotent: items
   * added before are skipped; a cancelled batch takes none. Returns how many were added.
   */
  add(
    queue: string,
    tenant: string,
    share: TenantShare,
    batch: { id: string; priority: number; opts: Record<string, unknown> },
    first: number,
    items: { id: string; data: unknown }[],
  ): Promise<number> {
    return this.redis.fleetFairAdd(
      this.k.base,
      queue,
      tenant,
      batch.id,
      share.weight,
      share.cap,
      batch.priority,
      JSON.stringify(batch.opts),
      first,
      ...items.map((item) => `${item.id}${SEP}${JSON.stringify(item.data)}`),
    );
  }

  /** Takes up to `n` items of `queue`, fairly; each stays "dispatching" until `handed`. */
  async take<T>(queue: string, n: number, now = Date.now()): Promise<FairItem<T>[]> {
    const flat = await this.redis.fleetFairTake(this.k.base, queue, n, now);
    return pairsOf(flat);
  }

  /** BullMQ has these items now (added, or found there): they are no longer dispatching. */
  async handed(queue: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.redis
      .multi()
      .zrem(this.k.dispatching(queue), ...ids)
      .hdel(this.k.data(queue), ...ids)
      .exec();
  }

  /** Items taken longer than `olderThanMs` ago and never handed (their dispatcher died). */
  async stranded<T>(
    queue: string,
    olderThanMs: number,
    limit = 500,
    now = Date.now(),
  ): Promise<FairItem<T>[]> {
    const ids = await this.redis.zrangebyscore(
      this.k.dispatching(queue),
      '-inf',
      now - olderThanMs,
      'LIMIT',
      0,
      limit,
    );
    if (ids.length === 0) return [];
    const values = await this.redis.hmget(this.k.data(queue), ...ids);
    const flat: string[] = [];
    ids.forEach((id, i) => {
      const value = values[i];
      if (value) flat.push(id, value);
    });
    // An id without data was handed meanwhile: nothing to do for it.
    return pairsOf(flat);
  }

  /** These items finished or left BullMQ: their tenants' running slots come back. */
  async done(entries: RunningEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    return this.redis.fleetFairDone(
      this.k.base,
      ...entries.flatMap((e) => [e.tenant, `${e.queue}${SEP}${e.id}`]),
    );
  }

  /**
   * `done` for one entry, sent with the others of the same event-loop turn as one script call (a
   * worker finishing many jobs at once); resolves once that call has.
   */
  doneSoon(entry: RunningEntry): Promise<void> {
    if (!this.soon) {
      const batch: { entries: RunningEntry[]; sent: Promise<void> } = {
        entries: [],
        sent: new Promise<void>((resolve, reject) => {
          setImmediate(() => {
            this.soon = null;
            this.done(batch.entries).then(() => resolve(), reject);
          });
        }),
      };
      this.soon = batch;
    }
    this.soon.entries.push(entry);
    return this.soon.sent;
  }

  /** Re-checks tenants held back by their cap (a cap raised in FLEET_API_KEYS, say). */
  async recheck(tenants: string[]): Promise<void> {
    if (tenants.length > 0) await this.redis.fleetFairDone(this.k.base, ...tenants.flatMap((t) => [t, '']));
  }

  /** Drops a cancelled batch's pending items; later adds of it take none. */
  async cancel(batchId: string): Promise<{ dropped: number; tenant: string | null }> {
    const [dropped, tenant] = await this.redis.fleetFairCancel(this.k.base, batchId);
    return { dropped: Number(dropped), tenant: tenant || null };
  }

  /** Moves a batch's pending items within its tenant's order; false when the batch is unknown here. */
  async setPriority(batchId: string, priority: number): Promise<boolean> {
    return (await this.redis.fleetFairPriority(this.k.base, batchId, priority)) === 1;
  }

  /** How many items of a queue wait here (not yet handed to BullMQ). */
  async pendingIn(queue: string): Promise<number> {
    return Math.max(0, Number((await this.redis.hget(this.k.queued, queue)) ?? 0));
  }

  /** How many items of every queue wait here (one read, what an autoscaler's scrape costs). */
  async pendingTotal(): Promise<number> {
    const counts = await this.redis.hvals(this.k.queued);
    return counts.reduce((n, c) => n + Math.max(0, Number(c)), 0);
  }

  /** How many of a batch's items wait here (not yet handed to BullMQ). */
  pendingOf(batchId: string): Promise<number> {
    return this.redis.llen(this.k.items(batchId));
  }

  /** Running entries of a tenant handed out before `before` (ms), oldest first. */
  async runningBefore(tenant: string, before: number, limit = 200): Promise<RunningEntry[]> {
    const members = await this.redis.zrangebyscore(this.k.running(tenant), '-inf', before, 'LIMIT', 0, limit);
    return members.map((m) => {
      const at = m.indexOf(SEP);
      return { tenant, queue: m.slice(0, at), id: m.slice(at + 1) };
    });
  }

  /** Marks running entries as checked now (they are looked at again after the next interval). */
  async touch(entries: RunningEntry[], now = Date.now()): Promise<void> {
    if (entries.length === 0) return;
    const multi = this.redis.multi();
    for (const e of entries) multi.zadd(this.k.running(e.tenant), 'XX', now, `${e.queue}${SEP}${e.id}`);
    await multi.exec();
  }

  /** Every tenant seen, with its share and items waiting and running now. */
  async standings(): Promise<TenantStanding[]> {
    const names = (await this.redis.smembers(this.k.names)).sort();
    if (names.length === 0) return [];
    const waiting = await this.redis.hmget(this.k.waiting, ...names);
    const pipeline = this.redis.pipeline();
    for (const t of names) {
      pipeline.hmget(this.k.cfg(t), 'weight', 'cap');
      pipeline.zcard(this.k.running(t));
    }
    const replies = (await pipeline.exec()) ?? [];
    return names.map((tenant, i) => {
      const [err1, cfg] = replies[2 * i] ?? [];
      const [err2, running] = replies[2 * i + 1] ?? [];
      if (err1 || err2) throw err1 ?? err2;
      const [weight, cap] = (cfg as (string | null)[]) ?? [];
      return {
        tenant,
        weight: Number(weight ?? 1),
        cap: Number(cap ?? 0),
        waiting: Math.max(0, Number(waiting[i] ?? 0)),
        running: Number(running ?? 0),
      };
    });
  }

  /**
   * One dispatcher per queue at a time: true while `owner` holds (or now took) the queue's lead
   * for `ttlMs`. A dead leader's lead lapses after it; two leaders for a moment are harmless (each
   * take is atomic), only wasteful.
   */
  async lead(queue: string, owner: string, ttlMs: number): Promise<boolean> {
    const key = this.k.leader(queue);
    if ((await this.redis.set(key, owner, 'PX', ttlMs, 'NX')) === 'OK') return true;
    if ((await this.redis.get(key)) !== owner) return false;
    await this.redis.pexpire(key, ttlMs);
    return true;
  }

  /** The worker leading a queue's dispatch now, if any. */
  leaderOf(queue: string): Promise<string | null> {
    return this.redis.get(this.k.leader(queue));
  }

  /** Gives the lead up (a worker stopping), if `owner` holds it. */
  async resign(queue: string, owner: string): Promise<void> {
    const key = this.k.leader(queue);
    if ((await this.redis.get(key)) === owner) await this.redis.del(key);
  }
}

function pairsOf<T>(flat: string[]): FairItem<T>[] {
  const items: FairItem<T>[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const parsed = JSON.parse(flat[i + 1]!) as { opts: Record<string, unknown>; data: T };
    items.push({ id: flat[i]!, opts: parsed.opts, data: parsed.data });
  }
  return items;
}
