import { type FleetEvent, WEBHOOK_EVENTS } from '@fleet/contracts';
import type { LoggerPort } from '@fleet/core';
import type { FleetRedis } from '@fleet/redis';
import type { Queue } from 'bullmq';
import { DELIVERY_JOB, type DeliveryJob } from './delivery-queue.js';
import type { RedisWebhookStore } from './webhook-store.js';

const WANTED: ReadonlySet<string> = new Set(WEBHOOK_EVENTS);

export interface WebhookRelayOptions {
  streamKey: string;
  /** The consumer group every relay instance joins (they split the stream between them). */
  group: string;
  /** This instance's name in the group. */
  consumer: string;
  /** Owner of a batch (null when unknown: only the batch's own webhook then). */
  ownerOf(batchId: string): Promise<string | null>;
  /** An entry another consumer read and did not acknowledge for this long is taken over. */
  claimIdleMs: number;
  blockMs?: number;
  logger: LoggerPort;
}

/**
 * Reads the event stream in a consumer group (XREADGROUP), turns each event some webhook wants
 * into delivery jobs, then XACKs it. Several instances split the events; an entry read by an
 * instance that died before its XACK is claimed by another after `claimIdleMs` (XAUTOCLAIM).
 * Reading again is harmless: a delivery is noted once (`createDelivery`) and its job id is
 * `<event id>.<webhook id>`, so a replayed event is never delivered twice.
 */
export class WebhookRelay {
  private running = false;
  private loop: Promise<void> | undefined;
  private lastClaim = 0;

  constructor(
    private readonly reader: FleetRedis,
    private readonly store: RedisWebhookStore,
    private readonly queue: Queue<DeliveryJob>,
    private readonly options: WebhookRelayOptions,
  ) {}

  async start(): Promise<void> {
    try {
      // '$': a new group starts at the stream's end (webhooks are for events from now on).
      await this.reader.xgroup('CREATE', this.options.streamKey, this.options.group, '$', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.reader.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    // Our own unacknowledged entries first (a restart after a crash), then new ones.
    let cursor = '0';
    while (this.running) {
      try {
        await this.claimAbandoned();
        const answer = (await this.reader.xreadgroup(
          'GROUP',
          this.options.group,
          this.options.consumer,
          'COUNT',
          100,
          'BLOCK',
          this.options.blockMs ?? 2000,
          'STREAMS',
          this.options.streamKey,
          cursor,
        )) as [string, [string, string[]][]][] | null;
        const entries = answer?.[0]?.[1] ?? [];
        if (cursor === '0' && entries.length === 0) cursor = '>';
        await this.handle(entries);
      } catch (err) {
        if (!this.running) return;
        this.options.logger.warn({ err }, 'webhook relay: reading the stream failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  private async claimAbandoned(): Promise<void> {
    const now = Date.now();
    if (now - this.lastClaim < this.options.claimIdleMs / 2) return;
    this.lastClaim = now;
    const answer = (await this.reader.xautoclaim(
      this.options.streamKey,
      this.options.group,
      this.options.consumer,
      this.options.claimIdleMs,
      '0',
      'COUNT',
      100,
    )) as [string, [string, string[]][]];
    await this.handle(answer[1].filter((entry) => entry !== null && Array.isArray(entry[1])));
  }

  private async handle(entries: [string, string[]][]): Promise<void> {
    for (const [id, fields] of entries) {
      await this.relay(id, fields);
      await this.reader.xack(this.options.streamKey, this.options.group, id);
    }
  }

  private async relay(id: string, fields: string[]): Promise<void> {
    const json = fields[fields.indexOf('e') + 1];
    if (json === undefined) return;
    let event: FleetEvent;
    try {
      event = { ...(JSON.parse(json) as FleetEvent), id };
    } catch {
      return;
    }
    if (!WANTED.has(event.type) || !event.batchId) return;
    const batchId = event.batchId;
    const owner = await this.options.ownerOf(batchId);
    for (const target of await this.store.targetsFor(batchId, owner, event.type)) {
      const deliveryId = `${id}.${target.id}`;
      const noted = await this.store.createDelivery(batchId, {
        id: deliveryId,
        eventId: id,
        event: event.type,
        webhook: target.id,
        url: target.url,
      });
      // Pending and not new: noted by a read that died before enqueueing; the job id dedupes.
      if (noted === 'new' || noted === 'pending') {
        await this.queue.add(
          DELIVERY_JOB,
          { batchId, deliveryId, webhookId: target.id, event },
          { jobId: deliveryId },
        );
      }
    }
  }
}
