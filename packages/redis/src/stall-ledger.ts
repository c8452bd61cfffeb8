import type { ItemRef } from '@fleet/core';
import { Cluster } from 'ioredis';
import type { FleetRedis } from './connection.js';
import { Keys } from './keys.js';
import { ScriptBatcher } from './script-batch.js';

/** One take of an item's job by a worker, as BullMQ counted it when it handed the job over. */
export interface Take {
  /** BullMQ's count of the job's takes (`attemptsStarted`), this one included. */
  attemptsStarted: number;
  /** How often BullMQ's stalled-job check has found the job's attempt gone (`stalledCounter`). */
  stalledCounter: number;
  /** The host (failure domain) this take runs on. */
  host: string;
}

export interface NotedTake {
  /** Where the item's earlier attempts vanished, each host once. */
  hosts: string[];
  /** The batch was cancelled (the item must not run). */
  cancelled: boolean;
}

/**
 * Where an item's attempts vanished. Each take notes itself with its host; when the job's stall
 * count has gone up since the previous noted take, that take is the one that vanished and its host
 * is recorded (`lua/note-take-1.lua`). The worker fails an item ITEM_STALLED only once its
 * attempts vanished on enough different hosts: a worker killed under an item is not the item's
 * fault, an item that takes down workers wherever it runs likely is (DESIGN.md section 4).
 */
export class RedisStallLedger {
  private readonly keys: Keys;
  /** Takes of many items in one turn go as one script call (one Redis only). */
  private readonly takes?: ScriptBatcher<string[]>;

  constructor(
    private readonly redis: FleetRedis,
    prefix: string,
    /** How long an item's notes stay after their last write (the results' retention). */
    private readonly retentionSec = 7 * 24 * 3600,
  ) {
    this.keys = new Keys(prefix);
    if (!(redis instanceof Cluster)) this.takes = new ScriptBatcher(redis, 'fleetNoteTake', 2);
  }

  /**
   * Notes this take; returns the hosts where the item's earlier attempts vanished, each once, and
   * whether the batch is cancelled (read in the same script: the take's one round trip).
   */
  async noteTake(ref: ItemRef, take: Take): Promise<NotedTake> {
    const k = this.keys.batch(ref.batchId);
    const args = [ref.index, take.attemptsStarted, take.stalledCounter, take.host, this.retentionSec];
    const [status, ...hosts] = this.takes
      ? await this.takes.call([k.stalls, k.meta], args)
      : await this.redis.fleetNoteTake(k.stalls, k.meta, ...args);
    return { hosts, cancelled: status === 'cancelled' };
  }
}
