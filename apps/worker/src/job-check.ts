import { type ItemJob, itemJobSchema, zodDetails } from '@fleet/contracts';

/** Batches remembered as checked; past this the oldest is forgotten (its next job is parsed again). */
const REMEMBERED_BATCHES = 1000;

export type JobCheckResult = { ok: true; job: ItemJob } | { ok: false; details: unknown };

/**
 * Checks a job's data against the contract (`itemJobSchema`) without parsing every job of a batch.
 * The API parsed each item with this schema at submit (`planBatch`) and wrote all of a batch's jobs
 * in one request; BullMQ hands the data back as written. So what a worker's parse can still catch
 * is a writer with another idea of the shape (an API of another version, a job made by hand): a
 * property of the batch, not of the item. The first job of each batch this worker meets is parsed
 * in full; later jobs of a batch that passed get a structural check of the fields the worker reads
 * (and the full parse when that fails, for its error details). The full parse was ~20 us of a
 * no-op item's Node CPU in the pipeline bench (issue 17). `traceparent` is not checked on the
 * fast path: the tracing propagator validates it when a worker continues the trace, and a malformed
 * one only starts a new trace.
 */
export class JobCheck {
  private readonly checked = new Map<string, true>();

  check(data: unknown): JobCheckResult {
    const batchId = (data as { batchId?: unknown } | null)?.batchId;
    if (typeof batchId === 'string' && this.checked.has(batchId) && looksLikeItemJob(data)) {
      return { ok: true, job: data };
    }
    const parsed = itemJobSchema.safeParse(data);
    if (!parsed.success) return { ok: false, details: zodDetails(parsed.error) };
    this.remember(parsed.data.batchId);
    return { ok: true, job: parsed.data };
  }

  private remember(batchId: string): void {
    if (this.checked.has(batchId)) return;
    if (this.checked.size >= REMEMBERED_BATCHES) {
      const oldest = this.checked.keys().next().value;
      if (oldest !== undefined) this.checked.delete(oldest);
    }
    this.checked.set(batchId, true);
  }
}

/** The shape the worker relies on, of a job whose batch's first job passed the full parse. */
function looksLikeItemJob(data: unknown): data is ItemJob {
  const job = data as Partial<Record<keyof ItemJob, unknown>>;
  const selector = job.selector as { pool?: unknown } | null | undefined;
  return (
    Number.isSafeInteger(job.index) &&
    (job.index as number) >= 0 &&
    typeof selector?.pool === 'string' &&
    (Array.isArray(job.steps)
      ? job.scenario === undefined
      : job.steps === undefined && isObject(job.scenario)) &&
    Number.isSafeInteger(job.itemTimeoutMs) &&
    Number.isSafeInteger(job.stepTimeoutMs) &&
    (job.perSite === undefined || isObject(job.perSite))
  );
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}
