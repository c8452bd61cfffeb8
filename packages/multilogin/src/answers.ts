import type { ProxyConfig } from '@fleet/core';
import type { TokenGrant } from './auth.js';

/**
 * The shapes the client answers, and lenient readers of the provider's `data` (the contract is
 * uncertain in places: "be lenient in what you accept"). Readers pick the fields Fleet uses and
 * drop the rest, so a provider's extra fields (a profile's proxy password...) never travel on.
 */

export interface ProfileSearch {
  folderId?: string;
  tags?: string[];
  searchText?: string;
  /** 1..100 (Multilogin's bound); default 100. */
  limit?: number;
  offset?: number;
}

export interface ProviderProfile {
  id: string;
  name: string;
  folderId: string | undefined;
  browserType: string | undefined;
  osType: string | undefined;
  tags: string[];
}

export interface ProfileSearchPage {
  profiles: ProviderProfile[];
  /** All matches, when the provider says (`total_count`). */
  total: number | undefined;
}

export interface Folder {
  id: string;
  name: string;
}

export interface CreateProfileInput {
  name: string;
  folderId: string;
  browserType?: string;
  osType?: string;
  proxy?: ProxyConfig | null;
  tags?: string[];
}

export interface StartedProfile {
  /** The WebDriver port bound to the profile's browser (the provider may answer it as a string). */
  port: number;
  id: string | undefined;
  browserType: string | undefined;
  coreVersion: string | undefined;
}

export interface StatusAnswer {
  /** The provider's word: `browser_running`, `stopped`, `start_browser_error`, ... */
  status: string;
}

export interface VersionAnswer {
  version: string;
  env: string | undefined;
}

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;

export function readGrant(data: unknown): TokenGrant | undefined {
  const d = obj(data);
  const token = str(d.token);
  if (!token) return undefined;
  const refreshToken = str(d.refresh_token);
  return refreshToken ? { token, refreshToken } : { token };
}

function readProfile(raw: unknown): ProviderProfile | undefined {
  const p = obj(raw);
  const id = str(p.id ?? p.profile_id);
  if (!id) return undefined;
  return {
    id,
    name: str(p.name) ?? '',
    folderId: str(p.folder_id),
    browserType: str(p.browser_type),
    osType: str(p.os_type),
    tags: Array.isArray(p.tags) ? p.tags.filter((t): t is string => typeof t === 'string') : [],
  };
}

export function readSearchPage(data: unknown): ProfileSearchPage {
  const d = obj(data);
  const list = Array.isArray(d.profiles) ? d.profiles : Array.isArray(data) ? data : [];
  const total = Number(d.total_count ?? d.total);
  return {
    profiles: list.map(readProfile).filter((p): p is ProviderProfile => p !== undefined),
    total: Number.isFinite(total) ? total : undefined,
  };
}

export function readFolders(data: unknown): Folder[] {
  const d = obj(data);
  const list = Array.isArray(d.folders) ? d.folders : Array.isArray(data) ? data : [];
  return list.flatMap((raw) => {
    const f = obj(raw);
    const id = str(f.folder_id ?? f.id);
    return id ? [{ id, name: str(f.name) ?? '' }] : [];
  });
}

/** Multilogin answers `data.ids: [...]`; be lenient with `id`/`profile_id`. */
export function readProfileIds(data: unknown): string[] {
  const d = obj(data);
  if (Array.isArray(d.ids)) return d.ids.map(str).filter((id): id is string => Boolean(id));
  const id = str(d.id ?? d.profile_id);
  return id ? [id] : [];
}

export function readStart(data: unknown): StartedProfile | undefined {
  const d = obj(data);
  const port = Number(d.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { port, id: str(d.id), browserType: str(d.browser_type), coreVersion: str(d.core_version) };
}

export function readStatus(data: unknown): StatusAnswer {
  const d = obj(data);
  const status = str(d.status ?? d.state) ?? (typeof data === 'string' ? data : undefined);
  return { status: status ?? 'unknown' };
}

export function readVersion(data: unknown): VersionAnswer {
  const d = obj(data);
  return { version: str(d.version) ?? 'unknown', env: str(d.env) };
}
