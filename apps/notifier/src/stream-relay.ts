import { setTimeout as sleep } from 'node:timers/promises';
import type { FleetEvent } from '@fleet/contracts';
import type { LoggerPort } from '@fleet/core';
import type { FleetRedis } from '@fleet/redis';
import { entryToEvent, fieldValue } from './stream-entry.js';

export interface StreamRelayOptions {
  /** The event stream's key. */
  streamKey: string;
  /** Where each read's events go, in stream order, synchronously. */
  deliver(events: FleetEvent[]): void;
  /**
   * Does anyone listen to this batch's events (`''`: events of no batch)? Entries nobody wants are
   * not parsed at all: most batches have no watcher at a given moment.
   */
  wants?(batchId: string): boolean;
  logger: LoggerPort;
  /** XREAD BLOCK timeout: an idle read comes back this often (so a dead link is noticed). */
  blockMs?: number;
  /** Entries per read. */
  count?: number;
}

/**
 * The one reader loop of a notifier instance: XREAD BLOCK on the event stream from where the
 * stream ended when the relay started (`$`, resolved to a concrete id so the loop always knows
 * its position), handing each batch of entries to `deliver`. It runs on its own worker-role
 * connection (commands wait through an outage and are sent again on reconnect), and after any
 * error it retries from the last id it delivered: a Redis restart skips nothing that is still in
 * the stream.
 */
export class StreamRelay {
  private lastId = '0-0';
  private stopped = false;
  private loop: Promise<void> | undefined;
  private delivered = 0;
  private unwatched = 0;
  private failures = 0;

  constructor(
    private readonly reader: FleetRedis,
    private readonly options: StreamRelayOptions,
  ) {}

  /** The id of the last entry delivered (or where the stream ended at start). */
  get position(): string {
    return this.lastId;
  }

  get stats(): { position: string; delivered: number; unwatched: number; readFailures: number } {
    return {
      position: this.lastId,
      delivered: this.delivered,
      unwatched: this.unwatched,
      readFailures: this.failures,
    };
  }

  /** Resolve the start position (the stream's last entry, i.e. `$`) and start reading. */
  async start(): Promise<void> {
    const last = await this.reader.xrevrange(this.options.streamKey, '+', '-', 'COUNT', 1);
    this.lastId = last[0]?.[0] ?? '0-0';
    this.options.logger.info({ position: this.lastId }, 'event relay started');
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const { streamKey, blockMs = 5000, count = 500, logger, wants } = this.options;
    let backoff = 100;
    while (!this.stopped) {
      let reply: [string, [string, string[]][]][] | null;
      try {
        reply = (await this.reader.xread(
          'COUNT',
          count,
          'BLOCK',
          blockMs,
          'STREAMS',
          streamKey,
          this.lastId,
        )) as [string, [string, string[]][]][] | null;
        backoff = 100;
      } catch (err) {
        if (this.stopped) break;
        this.failures++;
        logger.warn({ err, position: this.lastId, retryInMs: backoff }, 'reading the event stream failed');
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 2000);
        continue;
      }
      const entries = reply?.[0]?.[1];
      if (!entries || entries.length === 0 || this.stopped) continue;
      const events: FleetEvent[] = [];
      for (const [id, fields] of entries) {
        if (wants && !wants(fieldValue(fields, 'b') ?? '')) {
          this.unwatched++;
          continue;
        }
        const event = entryToEvent(id, fields, logger);
        if (event) events.push(event);
      }
      // Position and delivery change together, in one synchronous step: a replay that registers
      // between two reads sees every later event exactly once (see fanout.ts).
      this.lastId = entries[entries.length - 1]![0];
      this.delivered += events.length;
      try {
        this.options.deliver(events);
      } catch (err) {
        logger.error({ err, position: this.lastId }, 'delivering events failed');
      }
    }
  }

  /** Stop reading. The reader connection is closed here (a blocked XREAD cannot be taken back). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.reader.disconnect();
    await this.loop;
  }
}
