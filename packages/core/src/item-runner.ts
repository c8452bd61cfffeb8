import { evidenceSchema, type ItemError, type ItemJob, type ItemResult, itemId } from '@fleet/contracts';
import {
  BatchCancelledError,
  type FleetError,
  isFleetError,
  LeaseLostError,
  NonRetryableError,
  ProviderUnreachableError,
  RetryableError,
} from './errors.js';
import type { LeaseOutcome } from './lease.js';
import { type LinkedSignal, linkSignals } from './linked-signal.js';
import type { BrowserDriver, RunStepsOptions, StepsOutcome } from './ports/browser-driver.js';
import type { CheckpointStore } from './ports/checkpoint-store.js';
import type { EventPublisher } from './ports/event-publisher.js';
import type { LoggerPort } from './ports/logger-port.js';
import {
  ABANDONED_FENCE,
  type BatchProgress,
  type DoneEvents,
  type EventDraft,
  type ItemRef,
  NO_FENCE,
  type ResultStore,
} from './ports/result-store.js';
import type { ScenarioRunner } from './ports/scenario-runner.js';
import type { SiteLimits } from './ports/site-limits.js';
import type { ProxyConfig } from './profile.js';
import type { ProfileSession } from './profile-session.js';
import type { CheckoutOptions, ProfileSessions } from './profile-sessions.js';
import { siteOf } from './site.js';

export interface AttemptContext {
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  /** Fires on cancel, shutdown, or when the queue says this worker lost the job. */
  signal: AbortSignal;
  /**
   * The batch's cancel status when the caller already read it with the take (the stall ledger's
   * note): the runner then does not ask the store again. Absent: the runner asks.
   */
  batchCancelled?: boolean;
}

/**
 * What became of one attempt; the worker turns it into a queue action:
 * - `recorded`: the item has its result now (completed, or failed for good);
 * - `skipped`: nothing to do (already recorded earlier);
 * - `cancelled`: the batch was cancelled (before or during the attempt): nothing was recorded, the
 *   profile was released `neutral` with its browser stopped; the job is done, not retried;
 * - `no-profile`: none free: delay the job without spending an attempt;
 * - `unreachable`: the profile's provider host could not be reached: the profile rests, the job
 *   is delayed without spending an attempt (a host outage is not the item's fault);
 * - `requeue`: interrupted by shutdown: put the job back without spending an attempt;
 * - `retry`: a retryable failure with attempts left: retry with backoff;
 * - `lost`: the lease or the job was lost to someone else: write nothing, let the queue decide.
 */
export type AttemptOutcome =
  | { kind: 'recorded'; result: ItemResult; batchDone: boolean }
  | { kind: 'skipped'; reason: 'already-recorded' }
  | { kind: 'cancelled' }
  | { kind: 'no-profile' }
  /** The item's site is at its limit: try again after `waitMs` (no attempt spent). */
  | { kind: 'site-wait'; site: string; waitMs: number }
  | { kind: 'unreachable'; provider: string }
  | { kind: 'requeue' }
  | { kind: 'retry'; error: FleetError }
  | { kind: 'lost'; reason: string };

export interface ItemRunnerDeps {
  sessions: ProfileSessions;
  results: ResultStore;
  events: EventPublisher;
  driver: BrowserDriver;
  /** Runs code scenarios (items with `scenario` instead of `steps`); none: such items fail. */
  scenarios?: ScenarioRunner;
  /** Where scenario items' checkpoints are kept (required with `scenarios`). */
  checkpoints?: CheckpointStore;
  /** Where a batch's own proxy is read, for jobs flagged `batchProxy` (the batch store). */
  batchProxies?: { proxyOf(batchId: string): Promise<ProxyConfig | null> };
  /** Politeness per site (README "Sharing a fleet"); none: no item waits for its site. */
  sites?: SiteLimits;
  logger?: LoggerPort;
  now?: () => number;
}

/**
 * Carries one batch item through one attempt (DESIGN.md section 3, steps 2-7): lease a profile,
 * claim the item under the lease's fence, drive the steps, record the result while the lease is
 * still valid, give the profile back (or keep it warm), publish events. The error policy lives
 * here: retryable → retry with backoff; profile fault → quarantine the profile and retry on
 * another; non-retryable → fail the item now.
 *
 * Cancellation: the batch's status is checked before a browser is started; a running attempt is
 * stopped when its signal fires with a BatchCancelledError (the worker's cancel bus), or when the
 * result store refuses to extend its claim or record its result because the batch was cancelled.
 */
export class ItemRunner {
  private readonly now: () => number;

  constructor(private readonly deps: ItemRunnerDeps) {
    this.now = deps.now ?? Date.now;
  }

  async run(job: ItemJob, ctx: AttemptContext): Promise<AttemptOutcome> {
    const ref: ItemRef = { batchId: job.batchId, index: job.index };
    const started = this.now();
    if (
      cancelledBy(ctx.signal) ||
      (ctx.batchCancelled ?? (await this.deps.results.isCancelled(job.batchId)))
    ) {
      return { kind: 'cancelled' };
    }
    if (job.deadlineAt !== undefined && started >= job.deadlineAt) {
      const error = new NonRetryableError(
        'DEADLINE_EXCEEDED',
        'the item deadline passed before it could run',
      );
      return this.recordFailure(ref, ctx, error, null, started);
    }
    if (job.scenario && (!this.deps.scenarios?.has(job.scenario) || !this.deps.checkpoints)) {
      // Before any profile is started: this worker cannot run it (routing should not let this
      // happen; an outdated deployment might). Retried elsewhere; no profile is blamed.
      const error = new RetryableError(
        'SCENARIO_UNAVAILABLE',
        `this worker has no scenario ${job.scenario.name}@${job.scenario.version}`,
      );
      return this.failedAttempt(ref, ctx, error, null, started);
    }
    const site = await this.takeSite(job);
    if (site && 'waitMs' in site) return { kind: 'site-wait', site: site.host, waitMs: site.waitMs };
    try {
      return await this.onProfile(job, ref, ctx, started, site);
    } finally {
      if (site) {
        await this.deps.sites?.release(site.host, site.holder).catch((err: unknown) => {
          // It lapses by itself (lua/site-acquire-3.lua): a late slot, never a lost item.
          this.deps.logger?.warn({ err, site: site.host }, 'could not give back a site slot');
        });
      }
    }
  }

  /**
   * A slot on the item's site when a rule applies there (null: none applies, or the item has no
   * site), or how long to wait for one. Taken before the profile, so a waiting item holds none.
   */
  private async takeSite(
    job: ItemJob,
  ): Promise<{ host: string; holder: string } | { host: string; waitMs: number } | null> {
    const sites = this.deps.sites;
    if (!sites || (!job.perSite && !(await sites.hasRules()))) return null;
    const host = siteOf(job);
    if (!host) return null;
    const holder = itemId(job.batchId, job.index);
    const grant = await sites.acquire(host, holder, job.perSite);
    if (!grant) return null;
    return grant.granted ? { host, holder } : { host, waitMs: grant.waitMs };
  }

  /** A page of a throttled site answered 429 or 503: pause the site's starts, fleet-wide. */
  private siteStatus(host: string): (status: number) => void {
    return (status) => {
      if (status !== 429 && status !== 503) return;
      this.deps.sites?.slowDown(host).catch((err: unknown) => {
        this.deps.logger?.warn({ err, site: host }, 'could not slow a site down');
      });
    };
  }

  private async onProfile(
    job: ItemJob,
    ref: ItemRef,
    ctx: AttemptContext,
    started: number,
    site: { host: string; holder: string } | null,
  ): Promise<AttemptOutcome> {
    let checkout: Awaited<ReturnType<ProfileSessions['checkout']>>;
    try {
      checkout = await this.deps.sessions.checkout(job.selector, await this.checkoutOptions(job));
    } catch (error) {
      // A failed start gave its profile back already; a cancelled batch needs no retry.
      if (cancelledBy(ctx.signal)) return { kind: 'cancelled' };
      // The lease went while the browser started (or the profile vanished): not the item's failure.
      if (error instanceof LeaseLostError) return { kind: 'lost', reason: error.message };
      if (error instanceof ProviderUnreachableError) return { kind: 'unreachable', provider: error.provider };
      return this.failedAttempt(ref, ctx, asFleetError(error), null, started);
    }
    if (!checkout) return { kind: 'no-profile' };
    const use = checkout.session.uses;
    try {
      return await this.attempt(job, ref, ctx, checkout, started, site);
    } catch (error) {
      // Something underneath failed (Redis gone, a bug): never leave the profile leased and running.
      await this.deps.sessions.abandon(checkout.session, use).catch(() => undefined);
      throw error;
    }
  }

  /** A batch proxy, when the job says its batch has one (read here: it is never in job data). */
  private async checkoutOptions(job: ItemJob): Promise<CheckoutOptions> {
    if (!job.batchProxy) return {};
    const proxy = await this.deps.batchProxies?.proxyOf(job.batchId);
    if (!proxy) {
      throw new NonRetryableError(
        'BATCH_PROXY_MISSING',
        "the batch's proxy is not in its record (the batch is gone?)",
      );
    }
    return { proxy };
  }

  private async attempt(
    job: ItemJob,
    ref: ItemRef,
    ctx: AttemptContext,
    checkout: { session: ProfileSession; warm: boolean },
    started: number,
    site: { host: string; holder: string } | null,
  ): Promise<AttemptOutcome> {
    const { session } = checkout;
    const startedEvent = this.startedEvent(job, session, { attempt: ctx.attempt, warm: checkout.warm });
    const folded = this.deps.results.publishesEvents === true;
    const claimed = await this.deps.results.claim(
      ref,
      session.lease.fence,
      session.lease.expiresAt,
      folded ? startedEvent : undefined,
    );
    if (claimed === 'cancelled') return this.cancelled(session);
    if (claimed !== 'claimed') {
      await this.deps.sessions.giveBack(session, 'neutral', { keepWarm: true });
      if (claimed === 'stale')
        return { kind: 'lost', reason: 'the lease expired before the item was claimed' };
      await this.publishDone(ref, null);
      return { kind: 'skipped', reason: 'already-recorded' };
    }
    // The claim moves along at each lease renewal; a cancelled batch refuses it, which stops the
    // item even when this worker missed the cancel bus's message. `claim` also fires when a
    // scenario's checkpoint is refused (its reason says which: the batch's cancel or a take-over).
    // One controller for the whole drive: the claim's stop fires the drive's signal itself.
    const linked = linkSignals(ctx.signal, session.lost);
    const claim = new ClaimStop(linked);
    session.onRenew = async (lease) => {
      if (site) void this.deps.sites?.renew(site.host, site.holder).catch(() => undefined);
      const extended = await this.deps.results.extendClaim(ref, lease.fence, lease.expiresAt);
      if (extended === 'cancelled') claim.abort(new BatchCancelledError(ref.batchId));
      return extended !== 'stale';
    };
    // Not waited for: item.started is informational (not deduplicated, not part of any guarantee);
    // it goes out on the same connection and slot as the item's later events, so it stays first.
    if (!folded) {
      this.deps.events.publish(startedEvent).catch((err: unknown) => {
        this.deps.logger?.warn({ err, itemId: startedEvent.itemId }, 'could not publish item.started');
      });
    }
    return this.drive(job, ref, ctx, session, started, claim, linked, site);
  }

  private async drive(
    job: ItemJob,
    ref: ItemRef,
    ctx: AttemptContext,
    session: ProfileSession,
    started: number,
    claim: ClaimStop,
    linked: LinkedSignal,
    site: { host: string; holder: string } | null,
  ): Promise<AttemptOutcome> {
    const signal = linked.signal;
    const deadlineAt = Math.min(started + job.itemTimeoutMs, job.deadlineAt ?? Number.POSITIVE_INFINITY);
    const id = itemId(job.batchId, job.index);
    try {
      const options = {
        deadlineAt,
        stepTimeoutMs: job.stepTimeoutMs,
        signal,
        itemId: id,
        lastAttempt: ctx.attempt >= ctx.maxAttempts,
        ...(job.files ? { files: job.files } : {}),
        ...(site ? { onPageStatus: this.siteStatus(site.host) } : {}),
      };
      const outcome = job.scenario
        ? await this.runScenario(job, ref, ctx, session, options, claim)
        : await this.deps.driver.run(session.endpoint, job.steps ?? [], options);
      const result: ItemResult = {
        state: 'completed',
        ...outcome,
        profileId: session.profile.id,
        attempts: ctx.attempt,
        durationMs: this.now() - started,
        finishedAt: this.now(),
      };
      return this.finish(ref, session, result, 'success');
    } catch (error) {
      if (session.lost.aborted) return { kind: 'lost', reason: 'the lease was lost during the item' };
      if (claim.cancelled || cancelledBy(ctx.signal)) return this.cancelled(session);
      if (claim.aborted) {
        // A scenario's checkpoint refused under a stale claim: another attempt has the item.
        await this.deps.sessions.giveBack(session, 'neutral', { keepWarm: false });
        return { kind: 'lost', reason: 'a checkpoint was refused: another attempt has the item' };
      }
      if (ctx.signal.aborted) {
        await this.deps.sessions.giveBack(session, 'neutral', { keepWarm: false });
        const reason = String(ctx.signal.reason ?? 'aborted');
        return reason === 'shutdown' ? { kind: 'requeue' } : { kind: 'lost', reason };
      }
      return this.failedAttempt(ref, ctx, asFleetError(error), session, started);
    } finally {
      linked.dispose();
    }
  }

  /**
   * A code scenario: its last checkpoint (from an earlier attempt) goes in, and its checkpoints are
   * written under this attempt's claim; a refused one stops the attempt (`claim` fires with the
   * batch's cancel, or a take-over by another attempt, as its reason).
   */
  private async runScenario(
    job: ItemJob,
    ref: ItemRef,
    ctx: AttemptContext,
    session: ProfileSession,
    options: RunStepsOptions,
    claim: ClaimStop,
  ): Promise<StepsOutcome> {
    const scenarios = this.deps.scenarios!;
    const checkpoints = this.deps.checkpoints!;
    const scenario = job.scenario!;
    const resumed = await checkpoints.get(ref);
    const checkpoint = async (name: string, value: unknown) => {
      const cp = { name, value, at: this.now(), attempt: ctx.attempt };
      const saved = await checkpoints.save(ref, session.lease.fence, cp);
      if (saved === 'saved') return;
      const why =
        saved === 'cancelled' ? new BatchCancelledError(ref.batchId) : new Error('claim taken over');
      claim.abort(why);
      throw new NonRetryableError('ABORTED', `the checkpoint "${name}" was refused: ${why.message}`);
    };
    return scenarios.run(
      session.endpoint,
      { scenario, input: job.input ?? {}, attempt: ctx.attempt, resumed, checkpoint },
      options,
    );
  }

  private async failedAttempt(
    ref: ItemRef,
    ctx: AttemptContext,
    error: FleetError,
    session: ProfileSession | null,
    started: number,
  ): Promise<AttemptOutcome> {
    const retriable = error.kind === 'retryable' || error.kind === 'profile-fault';
    if (error.kind === 'profile-fault' && session) {
      await this.deps.sessions.quarantine(session, `${error.code}: ${error.message}`.slice(0, 300));
      session = null;
    }
    if (retriable && ctx.attempt < ctx.maxAttempts) {
      if (session) await this.deps.sessions.giveBack(session, 'failure', { keepWarm: false });
      return { kind: 'retry', error };
    }
    return this.recordFailure(ref, ctx, error, session, started);
  }

  private recordFailure(
    ref: ItemRef,
    ctx: AttemptContext,
    error: FleetError,
    session: ProfileSession | null,
    started: number,
  ): Promise<AttemptOutcome> {
    const artifactId = error.details[0]?.artifactId;
    const result: ItemResult = {
      state: 'failed',
      data: {},
      artifacts: typeof artifactId === 'string' ? { failure: artifactId } : {},
      url: null,
      title: null,
      profileId: session?.profile.id ?? null,
      attempts: ctx.attempt,
      durationMs: this.now() - started,
      error: itemError(error),
      finishedAt: this.now(),
    };
    // A step the batch got wrong (assertion, missing selector, blocked target, deadline) would fail
    // on any profile: it must not push healthy profiles towards quarantine. Browser and network
    // failures count against the profile.
    return this.finish(ref, session, result, error.kind === 'non-retryable' ? 'neutral' : 'failure');
  }

  /** Record while the lease is still ours (the fence check needs it), then give the profile back. */
  private async finish(
    ref: ItemRef,
    session: ProfileSession | null,
    result: ItemResult,
    outcome: LeaseOutcome,
  ): Promise<AttemptOutcome> {
    const recorded = await this.recordWithEvents(ref, session?.lease.fence ?? NO_FENCE, result);
    if (recorded.status === 'cancelled') return this.cancelled(session);
    if (session)
      await this.deps.sessions.giveBack(session, outcome, {
        keepWarm: recorded.status !== 'stale' && result.state === 'completed',
      });
    if (recorded.status === 'stale')
      return { kind: 'lost', reason: 'the write was refused under a stale fence' };
    if (recorded.status === 'duplicate') {
      await this.publishDone(ref, null);
      return { kind: 'skipped', reason: 'already-recorded' };
    }
    return { kind: 'recorded', result, batchDone: recorded.batch.done };
  }

  /**
   * Record, and publish the item's events once recorded: in the same write when the store can
   * (`publishesEvents`), else right after it (a crash in between is filled in by the retry, whose
   * claim or record finds the result and publishes again under the same dedupe keys).
   */
  private async recordWithEvents(ref: ItemRef, fence: number, result: ItemResult) {
    const folded = this.deps.results.publishesEvents === true;
    const done = folded ? this.doneEvents(ref, result) : undefined;
    const recorded = await this.deps.results.record(ref, fence, result, done);
    if (recorded.status === 'recorded' && !recorded.published) {
      await this.publishDone(ref, result, recorded.batch);
    }
    return recorded;
  }

  /**
   * The queue gave the item's job up for good (attempts or stalls exhausted) and no attempt recorded
   * it: record its failure with `code` (first result still wins) and publish it, so the batch ends
   * instead of waiting for an item nobody will run. Returns whether this call recorded it.
   */
  async abandoned(job: ItemJob, code: string, message: string, attempts: number): Promise<boolean> {
    const ref: ItemRef = { batchId: job.batchId, index: job.index };
    const result: ItemResult = {
      state: 'failed',
      data: {},
      artifacts: {},
      url: null,
      title: null,
      profileId: null,
      attempts,
      durationMs: 0,
      error: { code, message: message.slice(0, 1000), step: null },
      finishedAt: this.now(),
    };
    const recorded = await this.recordWithEvents(ref, ABANDONED_FENCE, result);
    return recorded.status === 'recorded';
  }

  /** The batch was cancelled: record nothing, publish nothing, stop the browser, release neutral. */
  private async cancelled(session: ProfileSession | null): Promise<AttemptOutcome> {
    if (session) await this.deps.sessions.giveBack(session, 'neutral', { keepWarm: false });
    return { kind: 'cancelled' };
  }

  /**
   * item.completed/failed and, for the last item, batch.completed — each once, via dedupe keys, so
   * a retry after a crash between recording and publishing fills the gap without duplicates.
   */
  private async publishDone(ref: ItemRef, result: ItemResult | null, batch?: BatchProgress): Promise<void> {
    const id = itemId(ref.batchId, ref.index);
    const stored = result ?? (await this.deps.results.get(ref));
    const progress = batch ?? (await this.deps.results.progress(ref.batchId));
    if (stored) {
      const event = this.doneEvents(ref, stored).item;
      if (progress) {
        event.data.progress = {
          total: progress.total,
          completed: progress.completed,
          failed: progress.failed,
        };
      }
      await this.deps.events.publish(event, `${id}:done`);
    }
    if (progress?.done) {
      await this.deps.events.publish(
        {
          type: 'batch.completed',
          batchId: ref.batchId,
          at: this.now(),
          data: { total: progress.total, completed: progress.completed, failed: progress.failed },
        },
        `${ref.batchId}:completed`,
      );
    }
    this.deps.logger?.debug({ itemId: id, state: stored?.state, batchDone: progress?.done }, 'item done');
  }

  /** item.completed|failed of a result (without the batch's progress) and the dedupe keys of the done events. */
  private doneEvents(
    ref: ItemRef,
    stored: ItemResult,
  ): DoneEvents & { item: { data: Record<string, unknown> } } {
    const id = itemId(ref.batchId, ref.index);
    const type = stored.state === 'completed' ? 'item.completed' : 'item.failed';
    const data: Record<string, unknown> = { attempts: stored.attempts, durationMs: stored.durationMs };
    if (stored.error) {
      const { code, step, path } = stored.error;
      data.error = path === undefined ? { code, step } : { code, step, path };
    }
    const at = this.now();
    const event = { type, batchId: ref.batchId, itemId: id, at, data } as const;
    return {
      item: stored.profileId ? { ...event, profileId: stored.profileId } : event,
      itemDedupeKey: `${id}:done`,
      at,
      batchDedupeKey: `${ref.batchId}:completed`,
    };
  }

  private startedEvent(job: ItemJob, session: ProfileSession, data: Record<string, unknown>): EventDraft {
    return {
      type: 'item.started',
      batchId: job.batchId,
      itemId: itemId(job.batchId, job.index),
      profileId: session.profile.id,
      at: this.now(),
      data,
    };
  }
}

/**
 * Stops an attempt for its claim's sake (the batch's cancel refused a renewal, a checkpoint was
 * refused) by firing the drive's own linked signal: one AbortController per attempt, not two.
 */
class ClaimStop {
  aborted = false;
  reason: unknown;

  constructor(private readonly linked: LinkedSignal) {}

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.linked.abort(reason);
  }

  /** Stopped because the batch was cancelled. */
  get cancelled(): boolean {
    return this.aborted && isFleetErrorCode(this.reason, 'BATCH_CANCELLED');
  }
}

/** The signal fired because the item's batch was cancelled (by code: any copy of the class counts). */
function cancelledBy(signal: AbortSignal): boolean {
  return signal.aborted && isFleetErrorCode(signal.reason, 'BATCH_CANCELLED');
}

function isFleetErrorCode(value: unknown, code: string): boolean {
  return typeof value === 'object' && value !== null && (value as { code?: unknown }).code === code;
}

/** The recorded error: code, message, the failed step (index, path) and its evidence, from `details[0]`. */
function itemError(error: FleetError): ItemError {
  const detail = error.details[0];
  const out: ItemError = {
    code: error.code,
    message: error.message.slice(0, 1000),
    step: typeof detail?.step === 'number' ? detail.step : null,
  };
  if (typeof detail?.path === 'string') out.path = detail.path.slice(0, 500);
  const evidence = evidenceSchema.safeParse(detail?.evidence);
  if (evidence.success && detail?.evidence !== undefined) out.evidence = evidence.data;
  return out;
}

function asFleetError(error: unknown): FleetError {
  if (isFleetError(error)) return error;
  return new RetryableError('UNEXPECTED', error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}
