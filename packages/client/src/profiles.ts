import type { CreateProfileBody, PatchProfileBody, ProfileView } from '@fleet/contracts';
import type { HttpTransport } from './http.js';
import { type Page, paged } from './pages.js';

export interface ProfileQuery {
  pool?: string;
  state?: 'available' | 'leased' | 'quarantined';
  /** Profiles per request (1-1000). */
  limit?: number;
  signal?: AbortSignal;
}

export interface ImportProfilesInput {
  pool: string;
  tags?: string[];
  folderId?: string;
  launcher?: string;
  limit?: number;
}

const path = (id: string) => `/v1/profiles/${encodeURIComponent(id)}`;

/** `/v1/profiles` (admin keys): the browser profiles of the pools. */
export class ProfilesApi {
  constructor(private readonly http: HttpTransport) {}

  /** One page (a cursor belongs to one pool: give `pool` with it). */
  async page(query: ProfileQuery & { cursor?: string } = {}): Promise<Page<ProfileView>> {
    const { signal, ...q } = query;
    const answer = await this.http.json<{ profiles: ProfileView[]; nextCursor: string | null }>(
      'GET',
      '/v1/profiles',
      { query: q, signal },
    );
    return { rows: answer.profiles, nextCursor: answer.nextCursor };
  }

  /** Every profile matching, page after page. */
  list(query: ProfileQuery = {}): AsyncGenerator<ProfileView> {
    return paged((cursor) => this.page({ ...query, ...(cursor ? { cursor } : {}) }));
  }

  get(id: string, options: { signal?: AbortSignal } = {}): Promise<ProfileView> {
    return this.http.json('GET', path(id), options);
  }

  create(body: CreateProfileBody, options: { signal?: AbortSignal } = {}): Promise<ProfileView> {
    return this.http.json('POST', '/v1/profiles', { body, ...options });
  }

  update(id: string, patch: PatchProfileBody, options: { signal?: AbortSignal } = {}): Promise<ProfileView> {
    return this.http.json('PATCH', path(id), { body: patch, idempotent: true, ...options });
  }

  /** Unregisters it; `force` even while it is leased. */
  async remove(id: string, options: { force?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    await this.http.json('DELETE', path(id), {
      query: options.force ? { force: 'true' } : {},
      signal: options.signal,
    });
  }

  /** Takes it out of use (until `durationMs` passes, or until released). */
  quarantine(
    id: string,
    body: { reason?: string; durationMs?: number } = {},
    options: { signal?: AbortSignal } = {},
  ): Promise<ProfileView> {
    return this.http.json('POST', `${path(id)}/quarantine`, { body, idempotent: true, ...options });
  }

  release(id: string, options: { signal?: AbortSignal } = {}): Promise<ProfileView> {
    return this.http.json('POST', `${path(id)}/release`, { idempotent: true, ...options });
  }

  /** Registers the provider's profiles (or one launcher host's) in a pool. */
  import(
    body: ImportProfilesInput,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ pool: string; registered: number; existing: number }> {
    return this.http.json('POST', '/v1/profiles/import', { body, idempotent: true, ...options });
  }
}
