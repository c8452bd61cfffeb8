import type { ScheduleView } from '@fleet/contracts';
import { type FleetRedis, Keys } from '@fleet/redis';

/** A schedule as stored: its owner key's NAME (never the key), its timing and its batch body. */
export interface StoredSchedule {
  id: string;
  owner: string;
  cron?: string;
  everyMs?: number;
  timezone?: string;
  paused: boolean;
  batch: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

/** What the runs of a schedule left: how many made a batch, the last one, the last refusal. */
export interface ScheduleRuns {
  runs: number;
  lastRun?: { batchId: string; at: number };
  lastError?: { code: string; message: string; at: number };
}

/** `<owner>/<id>`: ids are per owner, so two keys may both have a "nightly". Also the BullMQ scheduler id. */
export const scheduleKey = (owner: string, id: string) => `${owner}/${id}`;

/** Schedules in Redis (one hash field each, JSON) and their run records. */
export class RedisScheduleStore {
  private readonly keys: { defs: string; runs: string };

  constructor(
    private readonly redis: FleetRedis,
    prefix: string,
  ) {
    this.keys = new Keys(prefix).schedules;
  }

  async get(owner: string, id: string): Promise<StoredSchedule | null> {
    return this.getByKey(scheduleKey(owner, id));
  }

  async getByKey(key: string): Promise<StoredSchedule | null> {
    const raw = await this.redis.hget(this.keys.defs, key);
    return raw ? (JSON.parse(raw) as StoredSchedule) : null;
  }

  async put(schedule: StoredSchedule): Promise<void> {
    await this.redis.hset(this.keys.defs, scheduleKey(schedule.owner, schedule.id), JSON.stringify(schedule));
  }

  async remove(owner: string, id: string): Promise<boolean> {
    const key = scheduleKey(owner, id);
    const removed = await this.redis.hdel(this.keys.defs, key);
    await this.redis.hdel(this.keys.runs, `${key}:count`, `${key}:last`, `${key}:error`);
    return removed > 0;
  }

  /** Every schedule (of one owner when given), by id. Schedules are few: one hash read. */
  async list(owner?: string): Promise<StoredSchedule[]> {
    const all = Object.values(await this.redis.hgetall(this.keys.defs)).map(
      (raw) => JSON.parse(raw) as StoredSchedule,
    );
    return all
      .filter((s) => owner === undefined || s.owner === owner)
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  async runsOf(owner: string, id: string): Promise<ScheduleRuns> {
    const key = scheduleKey(owner, id);
    const [count, last, error] = await this.redis.hmget(
      this.keys.runs,
      `${key}:count`,
      `${key}:last`,
      `${key}:error`,
    );
    return {
      runs: Number(count ?? 0),
      ...(last ? { lastRun: JSON.parse(last) } : {}),
      ...(error ? { lastError: JSON.parse(error) } : {}),
    };
  }

  /** Notes a run: a batch made (counted atomically: several APIs take runs) or a refusal. */
  async noteRun(
    key: string,
    outcome: { batchId: string } | { code: string; message: string },
  ): Promise<void> {
    const at = Date.now();
    if ('batchId' in outcome) {
      await this.redis.hincrby(this.keys.runs, `${key}:count`, 1);
      await this.redis.hset(this.keys.runs, `${key}:last`, JSON.stringify({ batchId: outcome.batchId, at }));
    } else {
      await this.redis.hset(this.keys.runs, `${key}:error`, JSON.stringify({ ...outcome, at }));
    }
  }
}

/** The API's view of a schedule. */
export function scheduleView(s: StoredSchedule, runs: ScheduleRuns, nextRunAt: number | null): ScheduleView {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: s.id,
    owner: s.owner,
    ...(s.cron !== undefined ? { cron: s.cron } : {}),
    ...(s.everyMs !== undefined ? { everyMs: s.everyMs } : {}),
    ...(s.timezone !== undefined ? { timezone: s.timezone } : {}),
    paused: s.paused,
    nextRunAt: s.paused || nextRunAt === null ? null : iso(nextRunAt),
    runs: runs.runs,
    ...(runs.lastRun ? { lastRun: { batchId: runs.lastRun.batchId, at: iso(runs.lastRun.at) } } : {}),
    ...(runs.lastError ? { lastError: { ...runs.lastError, at: iso(runs.lastError.at) } } : {}),
    batchName: typeof s.batch.name === 'string' ? s.batch.name : null,
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
  };
}
