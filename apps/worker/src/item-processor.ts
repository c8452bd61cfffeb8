import { type ErrorCode, type ItemJob, itemId, itemJobSchema } from '@fleet/contracts';
import {
  type AttemptContext,
  type FleetError,
  type ItemRunner,
  isFleetError,
  type LoggerPort,
} from '@fleet/core';
import type { ItemMetrics } from '@fleet/metrics';
import type { ItemProcessor, ItemsQueue } from '@fleet/queue';
import type { RedisStallLedger } from '@fleet/redis';
import { ATTR, type Span } from '@fleet/telemetry';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { inAttemptSpan } from './attempt-span.js';
import { JobCheck } from './job-check.js';
import { RunningItems } from './running-items.js';

export interface ProcessorOptions {
  /** Delay of a job that found no free profile: a random wait in [min, max] ms (no attempt spent). */
  noProfileDelayMs: { min: number; max: number };
  /** Where running items are registered, so a cancelled batch's items can be aborted. */
  running: RunningItems;
  /** Told of recorded items, retries and waits for a free profile (the worker's /metrics). */
  metrics: ItemMetrics;
  /** Where each take is noted, so an item whose attempts vanish on many hosts can be failed. */
  stalls: StallPolicy;
}

/** ITEM_MAX_STALLS: how stalls are counted against an item (DESIGN.md section 4, "Worker crash"). */
export interface StallPolicy {
  ledger: Pick<RedisStallLedger, 'noteTake'>;
  /** This worker's host (WORKER_HOST). */
  host: string;
  /** Different hosts an item's attempts may vanish on before it fails ITEM_STALLED; 0 = no limit. */
  maxHosts: number;
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
  const jobs = new JobCheck();
  return (job, token, signal) => inAttemptSpan(job, (span) => take(job, token, signal, span));
  async function take(job: Job<ItemJob>, token: string | undefined, signal: AbortSignal, span: Span) {
    const parsed = jobs.check(job.data);
    if (!parsed.ok) {
      throw new UnrecoverableError(`malformed item job: ${JSON.stringify(parsed.details).slice(0, 500)}`);
    }
    const item = parsed.job;
    const { batchId } = item;
    const id = itemId(batchId, item.index);
    const registered = running.add(batchId, job.id ?? id, signal);
    const ctx: AttemptContext = {
      attempt: job.attemptsMade + 1,
      maxAttempts: job.opts.attempts ?? 1,
      signal: registered.signal,
    };
    let outcome: Awaited<ReturnType<ItemRunner['run']>>;
    try {
      if (options.stalls) {
        // The take's note also says whether the batch is cancelled: the runner need not ask again.
        const cancelled = await failIfStalledOut(job, item, options.stalls, runner, logger);
        if (cancelled !== undefined) ctx.batchCancelled = cancelled;
      }
      outcome = await runner.run(item, ctx);
    } catch (error) {
      // A non-retryable error out of the runner itself, past its own recording (e.g. a store
      // script's refusal; BATCH_NOT_FOUND when the batch expired): retrying cannot help.
      // Its code is recorded as data, in the item's result, before the job fails for good; the
      // job's failedReason is text for people (Bull Board) and is never read back.
      if (isFleetError(error) && error.kind === 'non-retryable') {
        await recordRefusal(runner, item, error, ctx.attempt, logger);
        throw new UnrecoverableError(`${error.code}: ${error.message}`);
      }
      throw error;
    } finally {
      registered.done();
    }
    const log = { jobId: job.id, attempt: ctx.attempt };
    span.setAttribute(ATTR.outcome, outcome.kind === 'recorded' ? outcome.result.state : outcome.kind);
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
      // The profile's host is down: the profile rests (ProfileSessions) and the item waits as when
      // no profile is free; the host's outage is logged and counted where the provider saw it.
      // The item's site is at its limit: back to wait as long as it was told, plus a little jitter
      // so the waiting items of a site do not all come back at once. No attempt spent.
      case 'site-wait': {
        metrics?.siteWaited(outcome.site);
        const jitter = Math.floor(Math.random() * Math.min(250, 1 + outcome.waitMs / 4));
        await job.moveToDelayed(Date.now() + outcome.waitMs + jitter, token);
        throw new DelayedError();
      }
      case 'unreachable':
      case 'no-profile':
      case 'requeue': {
        if (outcome.kind === 'no-profile') metrics?.acquireWaited();
        if (outcome.kind === 'unreachable') {
          logger.warn({ ...log, provider: outcome.provider }, 'profile provider unreachable: item delayed');
        }
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
      case 'lost': {
        logger.warn({ ...log, reason: outcome.reason }, 'item attempt lost');
        // Another attempt has (or had) the item: this one was not a failure of the item, so it
        // must not spend one of its attempts. Put it back if the queue still says it is ours (the
        // claim will tell the next attempt whether anything is left to do); if it is not ours
        // any more, moving it fails and the queue's own copy goes on.
        const lost = new Error(`attempt lost: ${outcome.reason}`);
        const moved = await job.moveToDelayed(Date.now() + 200, token).then(
          () => true,
          () => false,
        );
        throw moved ? new DelayedError() : lost;
      }
    }
  }
}

/**
 * A refusal's failed result (and its events), recorded at once with the refusal's code. When the
 * batch is gone (BATCH_NOT_FOUND) there is nothing to record into; if recording fails otherwise
 * (Redis), the failed job's check below records ATTEMPTS_EXHAUSTED instead.
 */
async function recordRefusal(
  runner: ItemRunner,
  job: ItemJob,
  error: FleetError,
  attempts: number,
  logger: LoggerPort,
): Promise<void> {
  if (error.code === 'BATCH_NOT_FOUND') return;
  try {
    if (await runner.abandoned(job, error.code, error.message, attempts)) {
      logger.warn(
        { batchId: job.batchId, index: job.index, code: error.code },
        'item refused: recorded it failed',
      );
    }
  } catch (err) {
    logger.warn({ err, batchId: job.batchId, index: job.index }, 'could not record a refused item');
  }
}

/**
 * Notes this take of the item with this worker's host and learns where its earlier attempts
 * vanished. A worker killed under an item (a crash, an OOM kill, a lost machine) is not the item's
 * fault, so a stall counts once per host: only an item whose attempts vanished on `maxHosts`
 * different hosts is the likely cause, and it is recorded failed (ITEM_STALLED) instead of being
 * run again. BullMQ's own stall limit stays as a safety net for items whose workers keep vanishing
 * on fewer hosts. If the note cannot be written (Redis trouble), the item runs uncounted.
 * Returns whether the batch is cancelled, read with the note (undefined when the note failed).
 */
async function failIfStalledOut(
  job: Job<ItemJob>,
  item: ItemJob,
  policy: StallPolicy,
  runner: ItemRunner,
  logger: LoggerPort,
): Promise<boolean | undefined> {
  const ref = { batchId: item.batchId, index: item.index };
  let hosts: string[];
  let cancelled: boolean;
  try {
    ({ hosts, cancelled } = await policy.ledger.noteTake(ref, {
      attemptsStarted: job.attemptsStarted,
      stalledCounter: job.stalledCounter,
      host: policy.host,
    }));
  } catch (err) {
    logger.warn({ err, jobId: job.id }, 'could not note the take of an item: its stalls go uncounted');
    return undefined;
  }
  if (policy.maxHosts === 0 || hosts.length < policy.maxHosts) return cancelled;
  const message = `its attempts vanished on ${hosts.length} different hosts (${hosts.join(', ')})`;
  if (await runner.abandoned(item, STALLED, message, job.attemptsMade)) {
    logger.warn({ jobId: job.id, hosts }, 'item stalled on too many hosts: recorded it failed');
  }
  throw new UnrecoverableError(`${STALLED}: ${message}`);
}

/** BullMQ's own failedReason for a job its stalled-job check gave up (moveStalledJobsToWait). */
const STALLED_OUT = /stalled more than allowable limit/;
const STALLED: ErrorCode = 'ITEM_STALLED';
const EXHAUSTED: ErrorCode = 'ATTEMPTS_EXHAUSTED';

/**
 * When the queue has failed a job for good, make sure its item has a result: a job failed by an
 * attempt that recorded its failure, or refused and recorded above, has one already (nothing
 * happens); one failed by the queue itself (stalled too often, or attempts spent without a
 * recorded failure) gets a failed result (ITEM_STALLED or ATTEMPTS_EXHAUSTED) and its events, so
 * the batch can finish.
 */
export async function recordIfAbandoned(
  jobs: ItemsQueue,
  runner: ItemRunner,
  jobId: string,
  logger: LoggerPort,
): Promise<void> {
  try {
    const job = await jobs.getJob(jobId);
    if (!job || (await job.getState()) !== 'failed') return;
    const parsed = itemJobSchema.safeParse(job.data);
    if (!parsed.success) return;
    const reason = job.failedReason || 'the queue gave the item up';
    const code = STALLED_OUT.test(reason) ? STALLED : EXHAUSTED;
    if (await runner.abandoned(parsed.data, code, reason, job.attemptsMade)) {
      logger.warn({ jobId, code, reason }, 'the queue gave an item up: recorded it failed');
    }
  } catch (err) {
    logger.warn({ err, jobId }, 'could not check a failed job for a missing result');
  }
}
