/** One failed attempt that will be recorded, as the error summary of its batch counts it. */
export interface FailureSample {
  /** `errorSignature(code, path, message)`: failures that differ only in numbers, quotes, URLs match. */
  signature: string;
  code: string;
  /** The failed step's path (`steps[3].do[1]#2`), or null outside a step. */
  path: string | null;
  /** This failure's message (kept as the signature's example when it is the first). */
  message: string;
  itemId: string;
}

/**
 * How much evidence a batch keeps of one kind of failure: the first few of each signature get full
 * evidence (screenshot, HTML, console), the rest are only counted, so a batch failing the same way
 * thousands of times does not fill the disk (DESIGN.md section 5).
 */
export interface EvidencePolicy {
  /** Counts the failure in its batch's error summary; true when its full evidence should be kept. */
  take(batchId: string, failure: FailureSample): Promise<boolean>;
}
