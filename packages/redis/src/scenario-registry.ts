import { compareVersions, type ScenarioView } from '@fleet/contracts';
import type { FleetRedis } from './connection.js';
import { Keys } from './keys.js';

/** What a worker advertises for one scenario it loaded. */
export interface ScenarioAd {
  name: string;
  version: string;
  inputSchema: Record<string, unknown>;
}

interface StoredDefinition extends ScenarioAd {
  advertisedAt: number;
}

export interface ScenarioRegistryOptions {
  /** A worker counts as having a scenario this long after its last heartbeat (ms; advertisers only). */
  ttlMs: number;
  /** An advertised definition is forgotten this long after its last advertisement (s). Default 7 days. */
  keepSec?: number;
}

/**
 * Which code scenarios workers have (DESIGN.md section 9): each worker advertises the
 * `name@version`s it loaded, with their input's JSON Schema, and renews them with a heartbeat; a
 * worker that died stops counting `ttlMs` after its last one. Global keys (no script touches
 * them): an index of ids, and per scenario its definition and a sorted set of workers scored by
 * when their heartbeat lapses.
 */
export class RedisScenarioRegistry {
  private readonly keys: Keys;
  private readonly keepSec: number;

  constructor(
    private readonly redis: FleetRedis,
    prefix: string,
    private readonly options: ScenarioRegistryOptions = { ttlMs: 15_000 },
  ) {
    this.keys = new Keys(prefix);
    this.keepSec = options.keepSec ?? 7 * 24 * 3600;
  }

  /** Advertise (or renew) `scenarios` for `workerId`; call it at start and every heartbeat. */
  async advertise(workerId: string, scenarios: ScenarioAd[]): Promise<void> {
    if (scenarios.length === 0) return;
    const now = Date.now();
    // One pipeline (and one MGET in `list`): every scenario key is in the `{scenarios}` slot.
    const pipeline = this.redis.pipeline();
    for (const ad of scenarios) {
      const id = `${ad.name}@${ad.version}`;
      const k = this.keys.scenario(id);
      const definition: StoredDefinition = { ...ad, advertisedAt: now };
      pipeline.set(k.definition, JSON.stringify(definition), 'EX', this.keepSec);
      pipeline.zadd(k.workers, now + this.options.ttlMs, workerId);
      // Workers long gone leave entries behind: drop them as we pass.
      pipeline.zremrangebyscore(k.workers, '-inf', now - this.keepSec * 1000);
      pipeline.expire(k.workers, this.keepSec);
      pipeline.zadd(this.keys.scenarios, now, id);
    }
    await pipeline.exec();
  }

  /** A worker stopping: it no longer counts for its scenarios. */
  async withdraw(workerId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.zrem(this.keys.scenario(id).workers, workerId);
    await pipeline.exec();
  }

  /** Live workers (heartbeat within the TTL) per `name@version`. */
  async workersAlive(ids: string[]): Promise<Map<string, number>> {
    const now = Date.now();
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.zcount(this.keys.scenario(id).workers, `(${now}`, '+inf');
    const rows = (await pipeline.exec()) ?? [];
    return new Map(ids.map((id, i) => [id, Number(rows[i]?.[1] ?? 0)]));
  }

  /** Every scenario advertised (and not forgotten), by name then version, with its live workers. */
  async list(): Promise<ScenarioView[]> {
    const ids = await this.redis.zrange(this.keys.scenarios, '0', '-1');
    if (ids.length === 0) return [];
    const raw = await this.redis.mget(...ids.map((id) => this.keys.scenario(id).definition));
    const gone = ids.filter((_, i) => raw[i] === null);
    if (gone.length > 0) await this.redis.zrem(this.keys.scenarios, ...gone);
    const alive = await this.workersAlive(ids);
    const views: ScenarioView[] = [];
    raw.forEach((text, i) => {
      if (text === null) return;
      const d = JSON.parse(text) as StoredDefinition;
      views.push({
        name: d.name,
        version: d.version,
        id: ids[i]!,
        inputSchema: d.inputSchema,
        workers: alive.get(ids[i]!) ?? 0,
        advertisedAt: new Date(d.advertisedAt).toISOString(),
      });
    });
    return views.sort((a, b) => a.name.localeCompare(b.name) || compareVersions(a.version, b.version));
  }

  /**
   * The scenario a batch names: `version` given → that one if advertised; omitted → the highest
   * version with a live worker, else the highest advertised. Null when none is known.
   */
  async resolve(name: string, version?: string): Promise<ScenarioView | null> {
    const known = (await this.list()).filter((s) => s.name === name);
    if (version !== undefined) return known.find((s) => compareVersions(s.version, version) === 0) ?? null;
    const live = known.filter((s) => s.workers > 0);
    const pick = live.length > 0 ? live : known;
    return pick.at(-1) ?? null;
  }
}
