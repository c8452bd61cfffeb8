import { BatchCancelledError } from '@fleet/core';

/**
 * Aborts one running job with `reason` through the queue's own signal for it (BullMQ's
 * `Worker.cancelJob`, tried on each of the process's queue workers); false when none runs it.
 */
export type AbortJob = (jobId: string, reason: unknown) => boolean;

/**
 * The items this process is running, by batch id: what the cancel bus aborts when a batch is
 * cancelled (each item's signal fires with a BatchCancelledError).
 *
 * With an `AbortJob` (worker.ts: BullMQ's `cancelJob`; a job's id is its item id) an item's signal
 * is the queue's own signal for its job, which already fires on shutdown and on a lost job lock:
 * a cancel aborts that one, so an item costs no AbortController of its own (allocations and
 * listeners were a good part of a no-op item's CPU in the pipeline bench, issue 17). Without one
 * (tests, a processor called directly) each item gets a controller that follows the queue's signal.
 */
export class RunningItems {
  private readonly byBatch = new Map<string, Map<string, AbortController | null>>();
  private abortJob: AbortJob | undefined;

  constructor(abortJob?: AbortJob) {
    this.abortJob = abortJob;
  }

  /** Set once the queue workers exist (they are built with the processor that uses this). */
  useAbortJob(abortJob: AbortJob): void {
    this.abortJob = abortJob;
  }

  /**
   * Registers a running item (`id`: its item id, which is its job id); its signal fires on the
   * batch's cancel or when `queueSignal` fires. `done` forgets it again.
   */
  add(batchId: string, id: string, queueSignal?: AbortSignal): { signal: AbortSignal; done(): void } {
    let items = this.byBatch.get(batchId);
    if (!items) {
      items = new Map();
      this.byBatch.set(batchId, items);
    }
    if (this.abortJob && queueSignal) {
      items.set(id, null);
      return { signal: queueSignal, done: () => this.forget(batchId, id, items, null) };
    }
    const controller = new AbortController();
    items.set(id, controller);
    const forward = () => controller.abort(queueSignal?.reason);
    if (queueSignal?.aborted) forward();
    else queueSignal?.addEventListener('abort', forward, { once: true });
    return {
      signal: controller.signal,
      done: () => {
        queueSignal?.removeEventListener('abort', forward);
        this.forget(batchId, id, items, controller);
      },
    };
  }

  /** Aborts every running item of the batch; returns their ids. */
  cancelBatch(batchId: string): string[] {
    const items = this.byBatch.get(batchId);
    if (!items) return [];
    const reason = new BatchCancelledError(batchId);
    for (const [id, controller] of items) {
      if (controller) controller.abort(reason);
      else this.abortJob?.(id, reason);
    }
    return [...items.keys()];
  }

  private forget(
    batchId: string,
    id: string,
    items: Map<string, AbortController | null>,
    mine: AbortController | null,
  ): void {
    if (!items.has(id) || items.get(id) !== mine) return;
    items.delete(id);
    if (items.size === 0 && this.byBatch.get(batchId) === items) this.byBatch.delete(batchId);
  }
}
