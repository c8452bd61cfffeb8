import type { FleetEvent } from '@fleet/contracts';
import type { EventPublisher } from '../ports/event-publisher.js';

/** Events in an array; a dedupe key is honoured as the Redis stream does (at most once per key). */
export class MemoryEventPublisher implements EventPublisher {
  readonly events: Omit<FleetEvent, 'id'>[] = [];
  private readonly keys = new Set<string>();

  async publish(event: Omit<FleetEvent, 'id'>, dedupeKey?: string): Promise<string | null> {
    if (dedupeKey !== undefined) {
      if (this.keys.has(dedupeKey)) return null;
      this.keys.add(dedupeKey);
    }
    this.events.push(event);
    return String(this.events.length);
  }

  get types(): string[] {
    return this.events.map((e) => e.type);
  }
}
