import { DelayedError, type Worker } from 'bullmq';
import type { ItemProcessor } from './items-worker.js';

/**
 * One concurrency (WORKER_CONCURRENCY) shared by a process's BullMQ workers: the items queue's and
 * each scenario queue's. A BullMQ worker takes jobs up to its own `concurrency`, so after every
 * take and release each one's is set to its running jobs plus the process's free slots (at least
 * 1: BullMQ's minimum). With every slot busy a worker may still take one job of a queue it runs
 * nothing of: `take` says no, and the caller puts that job back (delayed, no attempt spent).
 * With a single queue this is exactly the old fixed concurrency.
 */
export class SharedSlots {
  private used = 0;
  private readonly running = new Map<Worker, number>();
  private allowed: number;

  constructor(readonly total: number) {
    this.allowed = total;
  }

  /** Slots that may be busy now: `total`, or fewer while the host is under pressure (`setLimit`). */
  get limit(): number {
    return this.allowed;
  }

  /**
   * Lets at most `limit` (0..total) jobs run: running ones finish, no new one starts past it. At 0
   * every worker is paused (running jobs go on): a worker at BullMQ's minimum concurrency of 1
   * would otherwise take job after job only to put each back. Above 0 they resume.
   */
  setLimit(limit: number): void {
    const next = Math.max(0, Math.min(this.total, Math.floor(limit)));
    if (next === this.allowed) return;
    const wasClosed = this.allowed === 0;
    this.allowed = next;
    this.rebalance();
    if (wasClosed === (next === 0)) return;
    for (const worker of this.running.keys()) {
      if (next === 0) void worker.pause(true);
      else void worker.resume();
    }
  }

  /** A worker that shares the slots (set its concurrency from them). */
  attach(worker: Worker): void {
    this.running.set(worker, 0);
    this.rebalance();
  }

  /** A job `worker` took wants a slot: true = run it (then `release`), false = put it back. */
  take(worker: Worker): boolean {
    if (this.used >= this.allowed) return false;
    this.used++;
    this.running.set(worker, (this.running.get(worker) ?? 0) + 1);
    this.rebalance();
    return true;
  }

  release(worker: Worker): void {
    this.used = Math.max(0, this.used - 1);
    this.running.set(worker, Math.max(0, (this.running.get(worker) ?? 1) - 1));
    this.rebalance();
  }

  /**
   * `processor` for one queue's worker: run in a free slot, or — every slot busy — put the job back
   * (delayed 200-1000 ms, no attempt spent) for this or another worker to take. `attach` the worker
   * built with it.
   */
  gate(processor: ItemProcessor): { processor: ItemProcessor; attach(worker: Worker): void } {
    let self: Worker | undefined;
    return {
      processor: async (job, token, signal) => {
        if (!self || !this.take(self)) {
          await job.moveToDelayed(Date.now() + 200 + Math.floor(Math.random() * 800), token);
          throw new DelayedError();
        }
        const mine = self;
        try {
          return await processor(job, token, signal);
        } finally {
          this.release(mine);
        }
      },
      attach: (worker) => {
        self = worker;
        this.attach(worker);
      },
    };
  }

  get free(): number {
    return Math.max(0, this.allowed - this.used);
  }

  /** Jobs running now. */
  get busy(): number {
    return this.used;
  }

  private rebalance(): void {
    const free = this.free;
    for (const [worker, running] of this.running) {
      const concurrency = Math.max(1, running + free);
      if (worker.concurrency !== concurrency) worker.concurrency = concurrency;
    }
  }
}
