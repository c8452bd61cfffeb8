import { ProfileExistsError } from './errors.js';
import type { ProfileStore } from './ports/profile-store.js';

/** A profile as a provider lists it. */
export interface ProviderProfileRef {
  id: string;
  folderId: string | undefined;
}

export interface ImportOptions {
  pool: string;
  tags?: string[];
  /** Stop after this many profiles. */
  limit?: number;
  /** For profiles the provider lists without a folder. */
  defaultFolderId?: string;
  /** Recorded as every profile's home launcher (`providerIds.launcher`): where it was listed. */
  launcher?: string;
}

/**
 * Registers a provider's profiles in a pool, each once: a profile already registered (in this pool
 * or another: a profile has one pool) is counted as `existing`, not moved.
 */
export async function importProfiles(
  store: ProfileStore,
  profiles: AsyncIterable<ProviderProfileRef> | Iterable<ProviderProfileRef>,
  options: ImportOptions,
): Promise<{ registered: number; existing: number }> {
  let registered = 0;
  let existing = 0;
  let seen = 0;
  for await (const p of profiles) {
    if (options.limit !== undefined && seen++ >= options.limit) break;
    const folderId = p.folderId ?? options.defaultFolderId;
    try {
      await store.register({
        id: p.id,
        pool: options.pool,
        ...(options.tags ? { tags: options.tags } : {}),
        providerIds: {
          ...(folderId ? { folderId } : {}),
          ...(options.launcher ? { launcher: options.launcher } : {}),
        },
      });
      registered++;
    } catch (error) {
      if (!(error instanceof ProfileExistsError)) throw error;
      existing++;
    }
  }
  return { registered, existing };
}
