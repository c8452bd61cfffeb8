import { type ItemJob, itemId, MAX_PRIORITY } from '@fleet/contracts';
import type { EnqueueOptions, ItemQueue, LoggerPort } from '@fleet/core';
import type { RedisFairShare, RunningEntry, TenantShare } from '@fleet/redis';
import { startItemSpan } from '@fleet/telemetry';
import type { Job, JobsOptions } from 'bullmq';
import { ADD_CHUNK, ItemQueues, type ItemsQueue, removeBatchItemIds } from './items-queue.js';
import { ITEM_JOB, ITEMS_QUEUE, scenarioOfQueue } from './names.js';

/** The tenant of a batch without an owner (an API without keys, a test). */
export const NO_TENANT = '-';

/** The fair-share name of a BullMQ queue: its name without the hash tag's braces. */
export function fairQueueName(queueName: string): string {
  return queueName.replace(/[{}]/g, '');
}

/**
 * The core's ItemQueue port with fair share between tenants (README "Sharing a fleet"): a batch's
 * items wait in Redis under their tenant (`RedisFairShare`) until a worker's `FairDispatcher`
 * hands them to BullMQ. The job options (attempts, backoff, retention) are fixed here, at submit.
 */
export class FairItemQueue implements ItemQueue {
  private readonly queues: ItemQueues;

  constructor(
    queue: ItemsQueue | ItemQueues,
    private readonly fair: RedisFairShare,
    /** A tenant's weight and cap (from FLEET_API_KEYS). */
    private readonly shareOf: (tenant: string) => TenantShare,
    private readonly chunk = ADD_CHUNK,
  ) {
    this.queues = queue instanceof ItemQueues ? queue : new ItemQueues(queue);
  }

  async enqueue(jobs: ItemJob[], options: EnqueueOptions = {}): Promise<number> {
    const first = jobs[0];
    if (!first) return 0;
    const queue = this.queues.ofJob(first);
    const tenant = first.owner ?? NO_TENANT;
    const opts: JobsOptions = { ...queue.defaultJobOptions };
    delete opts.priority; // the dispatcher orders items; BullMQ runs them as handed
    if (options.attempts !== undefined) opts.attempts = options.attempts;
    if (options.backoffMs !== undefined) {
      opts.backoff = { type: 'exponential', delay: options.backoffMs, jitter: 0.5 };
    }
    const batch = {
      id: first.batchId,
      priority: options.priority ?? 0,
      opts: opts as Record<string, unknown>,
    };
    let added = 0;
    for (let i = 0; i < jobs.length; i += this.chunk) {
      const slice = jobs.slice(i, i + this.chunk);
      const spans = slice.map((data) => startItemSpan(data.batchId, data.index, queue.name));
      let failure: unknown;
      try {
        added += await this.fair.add(
          fairQueueName(queue.name),
          tenant,
          this.shareOf(tenant),
          batch,
          slice[0]!.index,
          slice.map((data, k) => {
            const traceparent = spans[k]?.traceparent;
            return {
              id: itemId(data.batchId, data.index),
              data: { ...data, tenant, ...(traceparent ? { traceparent } : {}) },
            };
          }),
        );
      } catch (error) {
        failure = error;
        throw error;
      } finally {
        for (const span of spans) span.end(failure);
      }
    }
    return added;
  }

  /** Drops the batch's pending items, then removes those BullMQ holds and no worker runs. */
  async removeQueued(batchId: string, total: number, scenario?: string | null): Promise<number> {
    const { dropped, tenant } = await this.fair.cancel(batchId);
    const queue = this.queues.of(scenario);
    const removed = await removeBatchItemIds(queue, batchId, total);
    if (tenant) {
      const name = fairQueueName(queue.name);
      await this.fair.done(removed.map((id) => ({ tenant, queue: name, id })));
    }
    return dropped + removed.length;
  }

  /** An admin's new priority for a batch's pending items; false when the batch is unknown here. */
  setPriority(batchId: string, priority: number | null): Promise<boolean> {
    return this.fair.setPriority(batchId, priority ?? MAX_PRIORITY + 1);
  }
}

export interface FairDispatcherOptions {
  /** Who leads (the worker's id): one dispatcher per queue at a time. */
  owner: string;
  logger: LoggerPort;
  /** How long a lead lasts without renewal (a dead dispatcher's queue is led again after it). */
  leadMs?: number;
  /** Items ready in BullMQ are kept at about this many seconds of what workers take. */
  aheadSec?: number;
  /** Items ready in BullMQ at least (and at most). */
  minReady?: number;
  maxReady?: number;
  /** Sleep between looks while nothing is pending, ms. */
  idleMs?: number;
  /** Items taken by a dispatcher that died before BullMQ had them are handed again after this, ms. */
  strandedAfterMs?: number;
  /** A running slot is checked against BullMQ after this long, and again each time after it, ms. */
  checkAfterMs?: number;
  /** How often slots are checked (and capped tenants re-checked), ms. */
  reconcileEveryMs?: number;
}

/**
 * Feeds a BullMQ queue from fair share as workers take its jobs (README "Sharing a fleet"): keeps
 * about `aheadSec` of work ready, so a new tenant's first item waits behind that little, not behind
 * another tenant's whole batch. One leads per queue (every worker runs one; the others stand by).
 * Crash-safe: items a dead leader took are handed again (same job ids: BullMQ adds them once), and
 * running slots whose job left BullMQ unseen (a cancel, a trimmed job) are given back.
 */
export class FairDispatcher {
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly name: string;
  private readonly o: Required<Omit<FairDispatcherOptions, 'logger' | 'owner'>>;
  private leadUntil = 0;
  private lastStranded = 0;
  private lastReconcile = 0;
  private ratePerSec = 0;
  private last: { at: number; ready: number; added: number } | null = null;
  /** Items handed to BullMQ by this dispatcher (a test's and the metrics' count). */
  handedCount = 0;
  /** Its queue and the scenario queues, opened as running slots name them (reconcile). */
  private readonly queues: ItemQueues;

  constructor(
    private readonly queue: ItemsQueue,
    private readonly fair: RedisFairShare,
    private readonly options: FairDispatcherOptions,
  ) {
    this.name = fairQueueName(queue.name);
    this.queues = new ItemQueues(queue);
    this.o = {
      leadMs: options.leadMs ?? 3000,
      aheadSec: options.aheadSec ?? 0.25,
      minReady: options.minReady ?? 4,
      maxReady: options.maxReady ?? 1000,
      idleMs: options.idleMs ?? 50,
      strandedAfterMs: options.strandedAfterMs ?? 10_000,
      checkAfterMs: options.checkAfterMs ?? 30_000,
      reconcileEveryMs: options.reconcileEveryMs ?? 5000,
    };
  }

  start(): this {
    this.loop ??= this.run();
    return this;
  }

  /** Stops dispatching and gives the lead up. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.queues.close();
    await this.fair.resign(this.name, this.options.owner).catch(() => undefined);
  }

  /** How many items it keeps ready in BullMQ now. */
  get depth(): number {
    const { minReady, maxReady, aheadSec } = this.o;
    return Math.min(maxReady, Math.max(minReady, Math.ceil(this.ratePerSec * aheadSec)));
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let pause = this.o.idleMs;
      try {
        pause = await this.turn();
      } catch (err) {
        this.options.logger.warn(
          { err, queue: this.queue.name },
          'fair share: dispatch failed, trying again',
        );
        pause = 1000;
      }
      if (pause > 0 && !this.stopped) await this.sleep(pause);
    }
  }

  /** One look: lead, hand stranded items again, top BullMQ up. Returns how long to pause, ms. */
  private async turn(): Promise<number> {
    const now = Date.now();
    if (now >= this.leadUntil - this.o.leadMs / 2) {
      if (!(await this.fair.lead(this.name, this.options.owner, this.o.leadMs))) {
        this.leadUntil = 0;
        this.last = null;
        return this.o.leadMs / 3;
      }
      this.leadUntil = now + this.o.leadMs;
    }
    if (now - this.lastStranded >= 1000) {
      this.lastStranded = now;
      await this.handAgain();
    }
    if (now - this.lastReconcile >= this.o.reconcileEveryMs) {
      this.lastReconcile = now;
      await this.reconcile(now);
    }
    const counts = await this.queue.getJobCounts('wait', 'prioritized');
    const ready = (counts.wait ?? 0) + (counts.prioritized ?? 0);
    this.measure(now, ready);
    const room = this.depth - ready;
    if (room <= 0) return 20;
    const items = await this.fair.take<ItemJob>(this.name, room, now);
    if (items.length > 0) await this.hand(items);
    if (this.last) this.last.added = items.length;
    if (items.length === room) return 0; // more may be pending: look again at once
    return ready > 0 || items.length > 0 ? 20 : this.o.idleMs;
  }

  /** Workers' pace: what left BullMQ's ready jobs since the last look, per second (smoothed). */
  private measure(now: number, ready: number): void {
    const last = this.last;
    this.last = { at: now, ready, added: 0 };
    if (!last) return;
    const seconds = (now - last.at) / 1000;
    if (seconds <= 0) return;
    const taken = Math.max(0, last.ready + last.added - ready);
    const rate = taken / seconds;
    // Up at once, down slowly: workers that speed up are never left waiting on the dispatcher for
    // long, and a short lull does not shrink what is kept ready.
    this.ratePerSec = rate > this.ratePerSec ? rate : 0.8 * this.ratePerSec + 0.2 * rate;
  }

  private async hand(items: { id: string; opts: Record<string, unknown>; data: ItemJob }[]): Promise<void> {
    await this.queue.addBulk(
      items.map((item) => ({
        name: ITEM_JOB,
        data: item.data,
        opts: { ...(item.opts as JobsOptions), jobId: item.id },
      })),
    );
    await this.fair.handed(
      this.name,
      items.map((i) => i.id),
    );
    this.handedCount += items.length;
  }

  /** Items a dispatcher took and died with: added again (BullMQ skips a job id it has). */
  private async handAgain(): Promise<void> {
    const stranded = await this.fair.stranded<ItemJob>(this.name, this.o.strandedAfterMs);
    if (stranded.length === 0) return;
    this.options.logger.warn(
      { queue: this.queue.name, items: stranded.length },
      'fair share: handing stranded items again',
    );
    await this.hand(stranded);
  }

  /**
   * Running slots whose job BullMQ finished or no longer has, unseen by a worker (removed by a
   * cancel, a worker gone between finishing and telling): given back. Each slot is checked after
   * `checkAfterMs` and every `checkAfterMs` after that, 200 per tenant per look at most.
   */
  private async reconcile(now: number): Promise<void> {
    // The items queue's leader checks every queue's slots (every worker consumes the items queue;
    // a scenario's queue may have no worker left to check its own).
    if (this.queue.name !== ITEMS_QUEUE) return;
    const standings = await this.fair.standings();
    const tenants = standings.map((s) => s.tenant);
    await this.fair.recheck(standings.filter((s) => s.cap > 0).map((s) => s.tenant));
    for (const tenant of tenants) {
      const due = await this.fair.runningBefore(tenant, now - this.o.checkAfterMs);
      if (due.length === 0) continue;
      const states = await Promise.all(
        due.map((e) => this.queues.of(scenarioOfQueue(`{${e.queue}}`)).getJobState(e.id)),
      );
      const gone: RunningEntry[] = [];
      const alive: RunningEntry[] = [];
      due.forEach((e, i) => {
        const state = states[i];
        (state === 'completed' || state === 'failed' || state === 'unknown' ? gone : alive).push(e);
      });
      await this.fair.done(gone);
      await this.fair.touch(alive, now);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/**
 * What a worker calls when BullMQ has finished a job for good (completed, or failed with no retry
 * left): the item's tenant gets its running slot back. Jobs that did not come through fair share
 * (no `tenant` in their data) cost nothing.
 */
export function fairSlotOf(job: Job<ItemJob> | undefined, queueName: string): RunningEntry | null {
  if (!job?.data?.tenant || !job.id) return null;
  return { tenant: job.data.tenant, queue: fairQueueName(queueName), id: job.id };
}
