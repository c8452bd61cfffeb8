import type { EvidencePolicy, FailureSample } from '../ports/evidence-policy.js';

/** EvidencePolicy in memory: the first `perError` failures of each signature per batch keep evidence. */
export class MemoryEvidencePolicy implements EvidencePolicy {
  /** Every failure taken, in order, with the answer it got. */
  readonly taken: Array<FailureSample & { batchId: string; keep: boolean }> = [];
  private readonly counts = new Map<string, number>();

  constructor(private readonly perError = 3) {}

  async take(batchId: string, failure: FailureSample): Promise<boolean> {
    const key = `${batchId}\n${failure.signature}`;
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    const keep = count <= this.perError;
    this.taken.push({ ...failure, batchId, keep });
    return keep;
  }
}
