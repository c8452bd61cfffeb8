import { itemId, itemJobSchema, zodDetails } from '@fleet/contracts';
import {
  BatchCancelledError,
  type ItemRunner,
  isFleetError,
  type LoggerPort,
  linkSignals,
} from '@fleet/core';
import type { ItemMetrics } from '@fleet/metrics';
import type { ItemProcessor } from '@fleet/queue';
import { DelayedError, UnrecoverableError } from 'bullmq';

export interface ProcessorOptions {
  /** Delay of a job that found no free profile: a random wait in [min, max] ms (no attempt spent). */
  noProfileDelayMs: { min: number; max: number };
  /** Where running items are registered, so a cancelled batch's items can be aborted. */
  running: RunningItems;
  /** Told of recorded items, retries and waits for a free profile (the worker's /metrics). */
  metrics: ItemMetrics;
}

/**
 * The items this process is running, by batch id: what the cancel bus aborts when a batch is
 * cancelled (each item's signal fires with a BatchCancelledError).
 */
export class RunningItems {
  private readonly byBatch = new Map<string, Map<string, AbortController>>();

  /** Registers a running item; `done` forgets it again. */
  add(batchId: string, id: string): { signal: AbortSignal; done(): void } {
    let items = this.byBatch.get(batchId);
    if (!items) {
      items = new Map();
      this.byBatch.set(batchId, items);
    }
    const controller = new AbortController();
    items.set(id, controller);
    return {
      signal: controller.signal,
      done: () => {
        if (items.get(id) !== controller) return;
        items.delete(id);
        if (items.size === 0 && this.byBatch.get(batchId) === items) this.byBatch.delete(batchId);
      },
    };
  }

  /** Aborts every running item of the batch; returns their ids. */
  cancelBatch(batchId: string): string[] {
    const items = this.byBatch.get(batchId);
    if (!items) return [];
    const reason = new BatchCancelledError(batchId);
    for (const controller of items.values()) controller.abort(reason);
    return [...items.keys()];
  }
}

/**
 * Turns an attempt's outcome into what BullMQ should do with the job:
 * - recorded: complete the job (a failed item fails the job for good: UnrecoverableError, so Bull
 *   Board shows it as failed — its result is already recorded);
 * - no free profile / shutdown: move the job back to delayed without spending an attempt;
 * - retryable failure: throw, and BullMQ retries with exponential backoff and jitter;
 * - lost: throw; if BullMQ still holds the job it retries it, else another worker already has it;
 * - cancelled (its batch was): complete the job without a result; it must not be retried.
 */
export function createItemProcessor(
  runner: ItemRunner,
  logger: LoggerPort,
  options: Partial<ProcessorOptions> = {},
): ItemProcessor {
  const noProfileDelayMs = options.noProfileDelayMs ?? { min: 200, max: 1000 };
  const running = options.running ?? new RunningItems();
  const metrics = options.metrics;
  return async (job, token, signal) => {
    const parsed = itemJobSchema.safeParse(job.data);
    if (!parsed.success) {
      throw new UnrecoverableError(
        `malformed item job: ${JSON.stringify(zodDetails(parsed.error)).slice(0, 500)}`,
      );
    }
    const { batchId } = parsed.data;
    const id = itemId(batchId, parsed.data.index);
    const registered = running.add(batchId, id);
    const linked = linkSignals(signal, registered.signal);
    const ctx = { attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1, signal: linked.signal };
    let outcome: Awaited<ReturnType<ItemRunner['run']>>;
    try {
      outcome = await runner.run(parsed.data, ctx);
    } catch (error) {
      // e.g. BATCH_NOT_FOUND (the batch expired or was never created): retrying cannot help.
      if (isFleetError(error) && error.kind === 'non-retryable') {
        throw new UnrecoverableError(`${error.code}: ${error.message}`);
      }
      throw error;
    } finally {
      linked.dispose();
      registered.done();
    }
    const log = { jobId: job.id, attempt: ctx.attempt };
    switch (outcome.kind) {
      case 'recorded':
        metrics?.itemRecorded(outcome.result);
        logger.info({ ...log, state: outcome.result.state, ms: outcome.result.durationMs }, 'item recorded');
        if (outcome.result.state === 'failed') {
          const e = outcome.result.error;
          throw new UnrecoverableError(`${e?.code}: ${e?.message}`);
        }
        return { state: outcome.result.state, profileId: outcome.result.profileId };
      case 'skipped':
        logger.info({ ...log, reason: outcome.reason }, 'item skipped');
        return { skipped: outcome.reason };
      case 'cancelled':
        logger.info({ batchId, itemId: id, attempt: ctx.attempt }, 'item cancelled');
        return { cancelled: true };
      case 'no-profile':
      case 'requeue': {
        if (outcome.kind === 'no-profile') metrics?.acquireWaited();
        const { min, max } = noProfileDelayMs;
        const delay = outcome.kind === 'requeue' ? 0 : min + Math.floor(Math.random() * (max - min));
        await job.moveToDelayed(Date.now() + delay, token);
        throw new DelayedError();
      }
      case 'retry':
        metrics?.itemRetried(outcome.error.code);
        logger.warn(
          { ...log, code: outcome.error.code, err: outcome.error },
          'item attempt failed, will retry',
        );
        throw outcome.error;
      case 'lost':
        logger.warn({ ...log, reason: outcome.reason }, 'item attempt lost');
        throw new Error(`attempt lost: ${outcome.reason}`);
    }
  };
}
