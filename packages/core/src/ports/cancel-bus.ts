/**
 * Tells every worker at once that a batch was cancelled, so items running anywhere are aborted
 * (their browsers stopped, leases released). Best effort and fast; the result store's refusal to
 * claim, extend or record items of a cancelled batch is what makes cancellation hold.
 */
export interface CancelBus {
  announce(batchId: string): Promise<void>;
  /** Calls `listener` with each cancelled batch id; resolves once listening. Returns an unsubscribe. */
  listen(listener: (batchId: string) => void): Promise<() => Promise<void>>;
}
