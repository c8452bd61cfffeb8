import type { ItemJob } from '@fleet/contracts';
import { type AttemptContext, ItemRunner } from '../item-runner.js';
import { GatedDriver } from './gated-driver.js';
import { MemoryEventPublisher } from './memory-event-publisher.js';
import { MemoryResultStore } from './memory-result-store.js';
import { type MemorySessionsOptions, memorySessions } from './memory-sessions.js';

export interface MemoryItemRunnerOptions extends MemorySessionsOptions {
  /** The attempt `ctx` says this is (default 1, of 3). */
  attempt?: number;
  /** Items in batch `b1` (default 2). */
  batchTotal?: number;
  /** The result store publishes the events with its writes (as on one Redis). */
  storePublishes?: boolean;
}

/** Item `index` of batch `b1`: one short step on pool `default`, generous timeouts. */
export function memoryJob(index = 0): ItemJob {
  return {
    batchId: 'b1',
    index,
    selector: { pool: 'default' },
    steps: [{ sleep: 1 }],
    itemTimeoutMs: 60_000,
    stepTimeoutMs: 15_000,
  };
}

/**
 * An ItemRunner over memorySessions, an in-memory result store (batch `b1` added), events and a
 * GatedDriver, with an attempt context whose signal `controller` fires: one worker's item
 * pipeline without Redis, BullMQ or a browser.
 */
export function memoryItemRunner(options: MemoryItemRunnerOptions = {}) {
  const { attempt = 1, batchTotal = 2, storePublishes = false, ...sessionOptions } = options;
  const fleet = memorySessions(sessionOptions);
  const events = new MemoryEventPublisher();
  const results = new MemoryResultStore(undefined, storePublishes ? events : undefined);
  results.add('b1', batchTotal);
  const driver = new GatedDriver();
  const runner = new ItemRunner({ sessions: fleet.sessions, results, events, driver });
  const controller = new AbortController();
  const ctx: AttemptContext = { attempt, maxAttempts: 3, signal: controller.signal };
  return { ...fleet, results, events, driver, runner, controller, ctx };
}
