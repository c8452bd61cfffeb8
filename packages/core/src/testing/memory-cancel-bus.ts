import type { CancelBus } from '../ports/cancel-bus.js';

/** Every announcement reaches every listener at once (one process standing in for all workers). */
export class MemoryCancelBus implements CancelBus {
  readonly announced: string[] = [];
  private readonly listeners = new Set<(batchId: string) => void>();

  async announce(batchId: string): Promise<void> {
    this.announced.push(batchId);
    for (const listener of this.listeners) listener(batchId);
  }

  async listen(listener: (batchId: string) => void): Promise<() => Promise<void>> {
    this.listeners.add(listener);
    return async () => {
      this.listeners.delete(listener);
    };
  }
}
