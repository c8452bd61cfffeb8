/** Where screenshots go: an id per stored PNG. */
export interface ArtifactStore {
  put(png: Uint8Array, meta: { itemId: string; name: string }): Promise<string>;
  /** The PNG and its meta, or null for an unknown id. */
  get(id: string): Promise<{ png: Uint8Array; itemId: string; name: string } | null>;
}
