import type { BatchError } from '@fleet/contracts';
import type { EvidencePolicy, FailureSample } from '@fleet/core';
import type { FleetRedis } from './connection.js';
import { Keys } from './keys.js';

export interface EvidencePolicyOptions {
  /** Failures of one signature per batch that keep full evidence (EVIDENCE_PER_ERROR). */
  perError: number;
  /** How long a batch's counts stay after their last write, seconds (the results' retention). */
  retentionSec: number;
  /** Item ids listed per signature. Default 10. */
  sampleItems?: number;
  /** Signatures kept per batch; further kinds are counted together (code `*`). Default 500. */
  maxSignatures?: number;
}

/** The kind further kinds are counted under past maxSignatures (`*`: any code). */
const OTHER = JSON.stringify({
  code: '*',
  path: null,
  message: 'more kinds of failure than the summary keeps: see the items',
});

/**
 * The batch's failures counted by signature in one hash of its slot (`lua/tally-error-1.lua`):
 * the driver asks before capturing evidence (the first `perError` of each kind keep it), and
 * `GET /v1/batches/:id/errors` reads the counts.
 */
export class RedisEvidencePolicy implements EvidencePolicy {
  private readonly keys: Keys;

  constructor(
    private readonly redis: FleetRedis,
    prefix: string,
    private readonly options: EvidencePolicyOptions,
  ) {
    this.keys = new Keys(prefix);
  }

  async take(batchId: string, failure: FailureSample): Promise<boolean> {
    const example = JSON.stringify({ code: failure.code, path: failure.path, message: failure.message });
    const keep = await this.redis.fleetTallyError(
      this.keys.batch(batchId).errors,
      failure.signature,
      example,
      failure.itemId,
      this.options.perError,
      this.options.sampleItems ?? 10,
      this.options.maxSignatures ?? 500,
      this.options.retentionSec,
      OTHER,
    );
    return keep === 1;
  }

  /** The batch's kinds of failure, most frequent first (ties: first seen kind's signature order). */
  async summary(batchId: string): Promise<BatchError[]> {
    const hash = await this.redis.hgetall(this.keys.batch(batchId).errors);
    const errors: BatchError[] = [];
    for (const [field, raw] of Object.entries(hash)) {
      if (field.includes(':') || field.startsWith('#')) continue;
      const example = JSON.parse(raw) as { code: string; path: string | null; message: string };
      errors.push({
        signature: field,
        code: example.code,
        path: example.path,
        message: example.message,
        count: Number(hash[`${field}:n`] ?? 0),
        withEvidence: Number(hash[`${field}:kept`] ?? 0),
        items: (hash[`${field}:items`] ?? '').split('\n').filter((id) => id !== ''),
      });
    }
    return errors.sort((a, b) => b.count - a.count || a.signature.localeCompare(b.signature));
  }
}
