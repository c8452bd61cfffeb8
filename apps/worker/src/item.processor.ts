import { itemJobSchema, zodDetails } from '@fleet/contracts';
import { type ItemRunner, isFleetError, type LoggerPort } from '@fleet/core';
import type { ItemProcessor } from '@fleet/queue';
import { DelayedError, UnrecoverableError } from 'bullmq';

export interface ProcessorOptions {
  /** Delay of a job that found no free profile: a random wait in [min, max] ms (no attempt spent). */
  noProfileDelayMs: { min: number; max: number };
}

const DEFAULTS: ProcessorOptions = { noProfileDelayMs: { min: 200, max: 1000 } };

/**
 * Turns an attempt's outcome into what BullMQ should do with the job:
 * - recorded: complete the job (a failed item fails the job for good: UnrecoverableError, so Bull
 *   Board shows it as failed — its result is already recorded);
 * - no free profile / shutdown: move the job back to delayed without spending an attempt;
 * - retryable failure: throw, and BullMQ retries with exponential backoff and jitter;
 * - lost: throw; if BullMQ still holds the job it retries it, else another worker already has it.
 */
export function createItemProcessor(
  runner: ItemRunner,
  logger: LoggerPort,
  options: Partial<ProcessorOptions> = {},
): ItemProcessor {
  const { noProfileDelayMs } = { ...DEFAULTS, ...options };
  return async (job, token, signal) => {
    const parsed = itemJobSchema.safeParse(job.data);
    if (!parsed.success) {
      throw new UnrecoverableError(
        `malformed item job: ${JSON.stringify(zodDetails(parsed.error)).slice(0, 500)}`,
      );
    }
    const ctx = { attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1, signal };
    let outcome: Awaited<ReturnType<ItemRunner['run']>>;
    try {
      outcome = await runner.run(parsed.data, ctx);
    } catch (error) {
      // e.g. BATCH_NOT_FOUND (the batch expired or was never created): retrying cannot help.
      if (isFleetError(error) && error.kind === 'non-retryable') {
        throw new UnrecoverableError(`${error.code}: ${error.message}`);
      }
      throw error;
    }
    const log = { jobId: job.id, attempt: ctx.attempt };
    switch (outcome.kind) {
      case 'recorded':
        logger.info({ ...log, state: outcome.result.state, ms: outcome.result.durationMs }, 'item recorded');
        if (outcome.result.state === 'failed') {
          const e = outcome.result.error;
          throw new UnrecoverableError(`${e?.code}: ${e?.message}`);
        }
        return { state: outcome.result.state, profileId: outcome.result.profileId };
      case 'skipped':
        logger.info({ ...log, reason: outcome.reason }, 'item skipped');
        return { skipped: outcome.reason };
      case 'no-profile':
      case 'requeue': {
        const { min, max } = noProfileDelayMs;
        const delay = outcome.kind === 'requeue' ? 0 : min + Math.floor(Math.random() * (max - min));
        await job.moveToDelayed(Date.now() + delay, token);
        throw new DelayedError();
      }
      case 'retry':
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
