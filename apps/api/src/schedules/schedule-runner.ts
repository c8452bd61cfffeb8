import type { Principal } from '@fleet/auth';
import type { LoggerPort } from '@fleet/core';
import { type FleetRedis, subscriberOf } from '@fleet/redis';
import { type Job, Queue, Worker } from 'bullmq';
import { CronExpressionParser } from 'cron-parser';
import { ApiError } from '../api-error.js';
import type { ApiContext } from '../context.js';
import { submitBatch } from '../routes/submit-batch.js';
import { RedisScheduleStore, type StoredSchedule, scheduleKey } from './schedule-store.js';

/** Hash-tagged like `{items}` and `{webhooks}`: the queue's keys share one Cluster slot. */
export const SCHEDULES_QUEUE = '{schedules}';
const RUN_JOB = 'run';

/** A run's job: which schedule (`<owner>/<id>`). The batch body is read at run time, never copied. */
interface RunJob {
  schedule: string;
}

/** Why a cron pattern or timezone is refused (null: fine). cron-parser is what BullMQ runs them with. */
export function cronProblem(
  cron: string,
  timezone: string | undefined,
): { field: string; message: string } | null {
  if (timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: timezone });
    } catch {
      return {
        field: 'timezone',
        message: `"${timezone}" is not an IANA time zone (e.g. Europe/Paris, UTC)`,
      };
    }
  }
  try {
    CronExpressionParser.parse(cron, { tz: timezone ?? 'UTC' });
    return null;
  } catch (error) {
    return { field: 'cron', message: `"${cron}" is not a cron pattern: ${(error as Error).message}` };
  }
}

/**
 * Schedules over BullMQ job schedulers: one scheduler per schedule (upserted by `<owner>/<id>`),
 * whose runs are jobs of the `{schedules}` queue. Every API process with SCHEDULES_RUN on runs a
 * worker of that queue; BullMQ hands each run to one of them, and the run's batch is submitted with
 * an Idempotency-Key derived from the run's job id, so a run taken twice (a stalled worker) still
 * makes one batch.
 */
export class Schedules {
  readonly store: RedisScheduleStore;
  readonly queue: Queue<RunJob>;
  private worker: Worker<RunJob> | null = null;
  private workerConnection: FleetRedis | null = null;
  private runner: {
    ctx: ApiContext;
    principalOf: (owner: string) => Principal | null;
    logger?: LoggerPort;
  } | null = null;

  constructor(
    private readonly redis: FleetRedis,
    private readonly prefix: string,
  ) {
    this.store = new RedisScheduleStore(redis, prefix);
    this.queue = new Queue<RunJob>(SCHEDULES_QUEUE, {
      connection: redis,
      prefix,
      defaultJobOptions: { removeOnComplete: { count: 1000 }, removeOnFail: { count: 1000 } },
    });
    this.queue.on('error', () => {}); // the API's own connection reports Redis trouble
  }

  /** Saves the schedule and (re)plans its runs; a paused one has no scheduler. */
  async save(schedule: StoredSchedule): Promise<void> {
    await this.store.put(schedule);
    const key = scheduleKey(schedule.owner, schedule.id);
    if (schedule.paused) {
      await this.queue.removeJobScheduler(key);
      return;
    }
    const repeat =
      schedule.cron !== undefined
        ? { pattern: schedule.cron, tz: schedule.timezone ?? 'UTC' }
        : { every: schedule.everyMs ?? 60_000 };
    await this.queue.upsertJobScheduler(key, repeat, { name: RUN_JOB, data: { schedule: key } });
  }

  async remove(owner: string, id: string): Promise<boolean> {
    await this.queue.removeJobScheduler(scheduleKey(owner, id));
    return this.store.remove(owner, id);
  }

  /** When the next run is due (ms), or null when none is planned. */
  async nextRunAt(owner: string, id: string): Promise<number | null> {
    return (await this.queue.getJobScheduler(scheduleKey(owner, id)))?.next ?? null;
  }

  /**
   * What runs need: the API's context, and the owner's key by name (null when revoked or no
   * longer configured). Set by buildServer; `run` and the worker use it.
   */
  attach(ctx: ApiContext, principalOf: (owner: string) => Principal | null, logger?: LoggerPort): void {
    this.runner = { ctx, principalOf, ...(logger ? { logger } : {}) };
  }

  /** Starts taking runs (SCHEDULES_RUN). */
  startWorker(): void {
    this.workerConnection = subscriberOf(this.redis, 'fleet-api-schedules');
    this.worker = new Worker<RunJob>(SCHEDULES_QUEUE, (job) => this.run(job), {
      connection: this.workerConnection,
      prefix: this.prefix,
      concurrency: 4,
    });
    this.worker.on('error', () => {});
  }

  /**
   * One run: the schedule's batch, submitted as its owner with the run's own Idempotency-Key; a
   * refusal is noted on the schedule. The batch id, or null when nothing was submitted.
   */
  async run(job: Pick<Job<RunJob>, 'id' | 'data'>): Promise<string | null> {
    if (!this.runner) throw new Error('Schedules.run before attach');
    const { ctx, principalOf, logger } = this.runner;
    const key = job.data.schedule;
    const schedule = await this.store.getByKey(key);
    if (!schedule || schedule.paused) return null; // deleted or paused after this run was planned
    const principal = principalOf(schedule.owner);
    if (!principal) {
      await this.store.noteRun(key, {
        code: 'UNAUTHORIZED',
        message: `the schedule's key "${schedule.owner}" is revoked or no longer configured: nothing was submitted`,
      });
      return null;
    }
    try {
      const { view, replayed } = await submitBatch(ctx, {
        principal,
        body: schedule.batch,
        idempotencyKey: `schedule-run:${job.id}`,
        scheduleId: schedule.id,
      });
      if (!replayed) await this.store.noteRun(key, { batchId: view.id });
      logger?.info({ schedule: key, batchId: view.id, replayed }, 'scheduled batch submitted');
      return view.id;
    } catch (error) {
      // A refusal (the pool emptied, the scenario is gone…) will not pass on a retry: note it.
      if (!(error instanceof ApiError) || error.statusCode >= 500) throw error;
      await this.store.noteRun(key, { code: error.code, message: error.message });
      logger?.warn({ schedule: key, code: error.code }, 'scheduled batch refused');
      return null;
    }
  }

  async close(): Promise<void> {
    await this.worker?.close();
    this.workerConnection?.disconnect();
    await this.queue.close();
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The API's schedules (tests take a run by hand through it). */
    schedules: Schedules;
  }
}
