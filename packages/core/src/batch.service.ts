import { type ItemJob, type ItemVars, interpolateSteps, type Step, type VarProblem } from '@fleet/contracts';
import { InvalidArgumentError } from './errors.js';
import type { BatchRecord, BatchStore } from './ports/item-stores.js';

/** Where item jobs go (BullMQ in production). Adding the same item twice must not duplicate it. */
export interface ItemQueue {
  enqueue(jobs: ItemJob[]): Promise<number>;
}

export interface BatchPlanInput {
  batchId: string;
  name?: string | null;
  owner?: string | null;
  pool: string;
  tags?: string[];
  steps: Step[];
  items: ItemVars[];
  itemTimeoutMs?: number;
  stepTimeoutMs?: number;
  deadlineAt?: number;
}

/** One job per item, `{{var}}` filled in; every problem of every item, or the jobs. */
export function planBatch(
  input: BatchPlanInput,
): { ok: true; jobs: ItemJob[] } | { ok: false; problems: VarProblem[] } {
  const problems: VarProblem[] = [];
  const jobs = input.items.map((vars, index) => {
    const filled = interpolateSteps(input.steps, vars ?? {}, `items[${index}].steps`);
    problems.push(...filled.problems);
    const job: ItemJob = {
      batchId: input.batchId,
      index,
      selector:
        input.tags && input.tags.length > 0 ? { pool: input.pool, tags: input.tags } : { pool: input.pool },
      steps: filled.steps,
      itemTimeoutMs: input.itemTimeoutMs ?? 120_000,
      stepTimeoutMs: input.stepTimeoutMs ?? 15_000,
    };
    if (input.deadlineAt !== undefined) job.deadlineAt = input.deadlineAt;
    if (input.owner) job.owner = input.owner;
    return job;
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, jobs };
}

/** Creates batches: validate every item, write the batch record, enqueue one job per item. */
export class BatchService {
  constructor(
    private readonly batches: BatchStore,
    private readonly queue: ItemQueue,
  ) {}

  async submit(input: BatchPlanInput): Promise<BatchRecord> {
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
    const record = await this.batches.create({
      id: input.batchId,
      name: input.name ?? null,
      owner: input.owner ?? null,
      pool: input.pool,
      total: plan.jobs.length,
    });
    await this.queue.enqueue(plan.jobs);
    return record;
  }
}
