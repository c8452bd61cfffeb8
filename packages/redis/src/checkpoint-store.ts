import { type Checkpoint, checkpointSchema } from '@fleet/contracts';
import type { CheckpointSave, CheckpointStore, ItemRef } from '@fleet/core';
import type { FleetRedis } from './connection.js';
import { Keys } from './keys.js';
import { orThrow } from './script-errors.js';

const SAVE: Record<number, CheckpointSave> = { 1: 'saved', 3: 'cancelled', [-9]: 'stale' };

/** Scenario checkpoints under the batch's hash tag, fenced by the item's claim (lua/checkpoint-3.lua). */
export class RedisCheckpointStore implements CheckpointStore {
  private readonly keys: Keys;

  constructor(
    private readonly redis: FleetRedis,
    prefix: string,
    /** How long checkpoints stay after their last write (the result retention), seconds. */
    private readonly retentionSec = 7 * 24 * 3600,
  ) {
    this.keys = new Keys(prefix);
  }

  async get(ref: ItemRef): Promise<Checkpoint | null> {
    const raw = await this.redis.hget(this.keys.batch(ref.batchId).checkpoints, String(ref.index));
    if (raw === null) return null;
    const parsed = checkpointSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  }

  async save(ref: ItemRef, fence: number, checkpoint: Checkpoint): Promise<CheckpointSave> {
    const k = this.keys.batch(ref.batchId);
    const code = await this.redis.fleetCheckpoint(
      k.meta,
      k.claims,
      k.checkpoints,
      ref.index,
      fence,
      JSON.stringify(checkpoint),
      this.retentionSec,
    );
    if (code === -9) return 'stale';
    return SAVE[orThrow(code, { batchId: ref.batchId })]!;
  }
}
