/** What an artifact is: its bytes' media type, the item (or batch) it belongs to, its name. */
export interface ArtifactMeta {
  /**
   * `<batchId>.<index>` for an item's artifacts; anything stored for a batch as a whole starts
   * with `<batchId>` too (`<batchId>` or `<batchId>.<word>`): retention finds an artifact's batch
   * from the part before the first '.'.
   */
  itemId: string;
  name: string;
  /** A media type such as `image/png`, `text/html; charset=utf-8`, `text/plain; charset=utf-8`. */
  type: string;
}

/** Where screenshots, failure evidence and uploaded files go: an id per stored artifact. */
export interface ArtifactStore {
  put(bytes: Uint8Array, meta: ArtifactMeta): Promise<string>;
  /** The bytes and their meta, or null for an unknown id. */
  get(id: string): Promise<({ bytes: Uint8Array } & ArtifactMeta) | null>;
  /** Removes every artifact of a batch (the batch was deleted); how many went. */
  removeBatch(batchId: string): Promise<number>;
}

/**
 * The batch an artifact belongs to: its itemId up to the first '.' (see ArtifactMeta.itemId);
 * null when that is not a batch id.
 */
export function batchIdOfArtifact(itemId: string): string | null {
  const batchId = itemId.split('.')[0] ?? '';
  return /^[A-Za-z0-9_-]{1,64}$/.test(batchId) ? batchId : null;
}
