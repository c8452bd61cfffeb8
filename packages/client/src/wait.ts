import type { BatchView } from '@fleet/contracts';
import { FleetUnreachableError } from './errors.js';
import type { FleetClient } from './fleet-client.js';
import { sleep } from './http.js';
import type { WatchMessage } from './watch.js';

/** Messages after which the batch may have ended, so it is read again. */
const READ_AFTER = new Set<WatchMessage['type']>([
  'watch.subscribed',
  'watch.truncated',
  'batch.completed',
  'batch.cancelled',
]);
const isFinished = (batch: BatchView) => batch.status === 'completed' || batch.status === 'cancelled';

/**
 * See FleetClient.wait. One loop: wait for the next watch message or the poll timer, whichever
 * comes first; read the batch after a poll or a message that says it may have ended.
 */
export async function waitForBatch(
  client: FleetClient,
  batchId: string,
  options: { signal?: AbortSignal; pollMs?: number },
): Promise<BatchView> {
  const { signal } = options;
  const read = () => client.get(batchId, signal ? { signal } : {});
  const first = await read();
  if (isFinished(first)) return first;
  let events: AsyncIterator<WatchMessage> | undefined = client.options.notifierUrl
    ? client.watch(batchId, { from: 'now', ...(signal ? { signal } : {}) })[Symbol.asyncIterator]()
    : undefined;
  let pollMs = options.pollMs ?? (events ? 15_000 : 1000);
  let next = events?.next();
  try {
    for (;;) {
      const timer = new AbortController();
      const tick = sleep(pollMs, signal ? AbortSignal.any([signal, timer.signal]) : timer.signal).then(
        () => 'tick' as const,
        (error: unknown) => {
          if (signal?.aborted) throw error;
          return 'tick' as const; // our own timer, cancelled because a message came first
        },
      );
      const outcome = await Promise.race([tick, ...(next ? [next] : [])]).catch((error: unknown) => {
        // The notifier is not there: carry on by polling alone, every second.
        if (!(error instanceof FleetUnreachableError)) throw error;
        return { done: true, value: undefined } as const;
      });
      timer.abort();
      let shouldRead = true;
      if (outcome !== 'tick') {
        if (outcome.done) {
          // The watch ended (the batch's end event, or no notifier): poll from now on.
          pollMs = options.pollMs ?? 1000;
          events = undefined;
          next = undefined;
        } else {
          shouldRead = READ_AFTER.has(outcome.value.type);
          next = events!.next();
        }
      }
      if (!shouldRead) continue;
      const batch = await read();
      if (isFinished(batch)) return batch;
    }
  } finally {
    await events?.return?.(undefined);
  }
}
