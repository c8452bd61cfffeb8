import {
  type ItemJob,
  type ItemVars,
  interpolateSteps,
  type PerSite,
  type ScenarioRef,
  type Step,
  scenarioKey,
  type VarProblem,
} from '@fleet/contracts';
import { InvalidArgumentError } from './errors.js';
import type { BatchRecord, BatchStore, CancelStatus } from './ports/batch-store.js';
import type { CancelBus } from './ports/cancel-bus.js';
import type { EventPublisher } from './ports/event-publisher.js';
import type { EnqueueOptions, ItemQueue } from './ports/item-queue.js';
import type { ProxyConfig } from './profile.js';

export interface BatchPlanInput {
  batchId: string;
  name?: string | null;
  owner?: string | null;
  pool: string;
  tags?: string[];
  /** Exactly one of steps and scenario. */
  steps?: Step[];
  /** A code scenario: each item is its input (already checked against its schema by the caller). */
  scenario?: ScenarioRef;
  items: ItemVars[] | Record<string, unknown>[];
  itemTimeoutMs?: number;
  stepTimeoutMs?: number;
  deadlineAt?: number;
  /** Every item goes through this proxy instead of its profile's own. */
  proxy?: ProxyConfig | null;
  /** The batch's stored files for `upload` steps (artifact ids, never bytes), in every job. */
  files?: ItemJob['files'];
  /** The schedule whose run this batch is. */
  scheduleId?: string | null;
  /** Politeness toward the site of each item's first `goto`, carried in every job. */
  perSite?: PerSite;
}

/** One job per item, `{{var}}` filled in; every problem of every item, or the jobs. */
export function planBatch(
  input: BatchPlanInput,
): { ok: true; jobs: ItemJob[] } | { ok: false; problems: VarProblem[] } {
  const problems: VarProblem[] = [];
  const jobs = (input.items as Record<string, unknown>[]).map((item, index) => {
    const job: ItemJob = {
      batchId: input.batchId,
      index,
      selector:
        input.tags && input.tags.length > 0 ? { pool: input.pool, tags: input.tags } : { pool: input.pool },
      itemTimeoutMs: input.itemTimeoutMs ?? 120_000,
      stepTimeoutMs: input.stepTimeoutMs ?? 15_000,
    };
    if (input.scenario) {
      job.scenario = input.scenario;
      job.input = item ?? {};
    } else {
      const filled = interpolateSteps(input.steps ?? [], (item as ItemVars) ?? {}, `items[${index}].steps`);
      problems.push(...filled.problems);
      job.steps = filled.steps;
    }
    if (input.deadlineAt !== undefined) job.deadlineAt = input.deadlineAt;
    if (input.owner) job.owner = input.owner;
    if (input.proxy) job.batchProxy = true;
    if (input.perSite && !input.scenario) job.perSite = input.perSite;
    if (input.files && Object.keys(input.files).length > 0) job.files = input.files;
    return job;
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, jobs };
}

/** A batch whose items were checked and turned into jobs. */
export interface PlannedBatch {
  input: BatchPlanInput;
  jobs: ItemJob[];
}

export interface SubmitOptions extends EnqueueOptions {
  /**
   * The batch record already exists (an idempotent replay of a submit that may have been cut
   * short): add every item again — existing job ids are skipped — instead of creating it.
   */
  resume?: boolean;
}

export interface CancelResult {
  status: CancelStatus;
  batch: BatchRecord | null;
  /** Waiting items taken out of the queue by this call. */
  removed: number;
}

/** Creates and cancels batches: validate every item, write the record, enqueue one job per item. */
export class BatchService {
  constructor(
    private readonly batches: BatchStore,
    private readonly queue: ItemQueue,
    private readonly cancellations?: { bus: CancelBus; events: EventPublisher; now?: () => number },
  ) {}

  /** Checks every item and builds its job; throws InvalidArgumentError listing every problem. */
  plan(input: BatchPlanInput): PlannedBatch {
    if (input.items.length === 0) {
      throw new InvalidArgumentError('a batch needs at least one item', [
        { field: 'items', message: 'is empty' },
      ]);
    }
    const plan = planBatch(input);
    if (!plan.ok)
      throw new InvalidArgumentError(
        'some items cannot run as given',
        plan.problems.map((p) => ({ ...p })),
      );
    return { input, jobs: plan.jobs };
  }

  /** Writes the batch record and enqueues its items (planning first when given a plain input). */
  async submit(batch: BatchPlanInput | PlannedBatch, options: SubmitOptions = {}): Promise<BatchRecord> {
    const { input, jobs } = 'jobs' in batch ? batch : this.plan(batch);
    const plan = { jobs };
    const { resume, ...enqueueOptions } = options;
    let record = resume ? await this.batches.get(input.batchId) : null;
    if (record?.enqueued) return record;
    if (!record) {
      record = await this.batches.create({
        id: input.batchId,
        name: input.name ?? null,
        owner: input.owner ?? null,
        pool: input.pool,
        total: plan.jobs.length,
        proxy: input.proxy ?? null,
        scenario: input.scenario ? scenarioKey(input.scenario) : null,
        scheduleId: input.scheduleId ?? null,
      });
    }
    await this.queue.enqueue(plan.jobs, enqueueOptions);
    await this.batches.markEnqueued(input.batchId);
    return { ...record, enqueued: true };
  }

  /**
   * Cancels a batch: marks it (no item of it is claimed or recorded from then on), tells every
   * worker to abort its running items, removes waiting items, publishes `batch.cancelled` once.
   * Calling it again on a cancelled batch repeats the announcement and removal (harmless).
   */
  async cancel(batchId: string): Promise<CancelResult> {
    if (!this.cancellations) throw new Error('BatchService was built without a cancel bus');
    const { bus, events } = this.cancellations;
    const now = this.cancellations.now ?? Date.now;
    const outcome = await this.batches.cancel(batchId);
    if (outcome.status !== 'cancelled' && outcome.status !== 'already-cancelled') {
      return { ...outcome, removed: 0 };
    }
    const batch = outcome.batch!;
    await bus.announce(batchId);
    const removed = await this.queue.removeQueued(batchId, batch.total, batch.scenario);
    await events.publish(
      {
        type: 'batch.cancelled',
        batchId,
        at: now(),
        data: { total: batch.total, completed: batch.completed, failed: batch.failed },
      },
      `${batchId}:cancelled`,
    );
    return { ...outcome, removed };
  }
}
