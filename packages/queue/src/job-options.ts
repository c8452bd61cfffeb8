import type { DefaultJobOptions } from 'bullmq';

export interface ItemJobDefaults {
  /** Attempts of one item before it fails for good. */
  attempts: number;
  /** First retry delay; doubles each attempt, with jitter. */
  backoffMs: number;
}

export const ITEM_JOB_DEFAULTS: ItemJobDefaults = { attempts: 3, backoffMs: 2000 };

/**
 * Finished jobs are trimmed: results live in Fleet's result store with their own retention, so the
 * queue only keeps enough history for Bull Board (an hour / 1000 completed, a day / 5000 failed).
 */
export function itemJobOptions(defaults: Partial<ItemJobDefaults> = {}): DefaultJobOptions {
  const { attempts, backoffMs } = { ...ITEM_JOB_DEFAULTS, ...defaults };
  return {
    attempts,
    // Full jitter spreads retries of many items failing together (e.g. a provider outage).
    backoff: { type: 'exponential', delay: backoffMs, jitter: 0.5 },
    removeOnComplete: { age: 3600, count: 1000 },
    removeOnFail: { age: 24 * 3600, count: 5000 },
  };
}
