import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LauncherError } from './envelope.js';
import type { ProxyInput } from './schemas.js';
import { readJsonFile, SerialWriter, writeJsonFileSync } from './state-file.js';

export interface ProfileProxy {
  type: 'http' | 'https' | 'socks5';
  host: string;
  port: number;
  username?: string;
  password?: string;
}

export interface ProfileRecord {
  id: string;
  name: string;
  folder_id: string;
  browser_type: string;
  os_type: string;
  tags: string[];
  notes: string;
  proxy: ProfileProxy | null;
  is_removed: boolean;
  created_at: string;
  updated_at: string;
}

export interface FolderRecord {
  folder_id: string;
  name: string;
  created_at: string;
}

interface RegistryFile {
  version: 1;
  folders: FolderRecord[];
  profiles: ProfileRecord[];
}

export interface NewProfileInput {
  name?: string | undefined;
  folder_id?: string | undefined;
  browser_type?: string | undefined;
  os_type?: string | undefined;
  notes?: string | undefined;
  tags?: string[] | undefined;
  proxy?: ProfileProxy | null | undefined;
}

export type ProfilePatch = Omit<NewProfileInput, 'browser_type' | 'os_type'>;

export interface SearchQuery {
  is_removed: boolean;
  limit: number;
  offset: number;
  search_text: string;
  folder_id?: string | undefined;
  tags?: string[] | undefined;
}

/** What the API shows of a profile: everything but the proxy password. */
export type PublicProfile = Omit<ProfileRecord, 'proxy'> & {
  proxy: Omit<ProfileProxy, 'password'> | null;
};

export function toPublicProfile(record: ProfileRecord): PublicProfile {
  const proxy = record.proxy
    ? {
        type: record.proxy.type,
        host: record.proxy.host,
        port: record.proxy.port,
        username: record.proxy.username,
      }
    : null;
  return { ...record, proxy };
}

/** Empty credentials mean none: Multilogin clients send `""` for a proxy without auth. */
export function normalizeProxy(input: ProxyInput | null | undefined): ProfileProxy | null {
  if (!input) return null;
  const proxy: ProfileProxy = { type: input.type, host: input.host, port: input.port };
  if (input.username) proxy.username = input.username;
  if (input.password) proxy.password = input.password;
  return proxy;
}

/**
 * Profiles and folders, persisted in `<dataDir>/profiles.json` (mode 0600: it holds proxy
 * passwords) with atomic writes; each profile's Chromium user-data directory is
 * `<dataDir>/profiles/<id>`. Removal without `permanently` only marks the profile removed (it
 * stays searchable with `is_removed: true`), as Multilogin's trash does.
 */
export class ProfileRegistry {
  private readonly file: string;
  private readonly writer: SerialWriter;
  private state: RegistryFile;

  constructor(private readonly dataDir: string) {
    mkdirSync(join(dataDir, 'profiles'), { recursive: true });
    this.file = join(dataDir, 'profiles.json');
    this.writer = new SerialWriter(this.file, 0o600);
    const loaded = readJsonFile<RegistryFile>(this.file);
    this.state = loaded ?? { version: 1, folders: [], profiles: [] };
    if (this.state.folders.length === 0) {
      this.state.folders.push({ folder_id: randomUUID(), name: 'Default folder', created_at: now() });
      writeJsonFileSync(this.file, this.state, 0o600);
    }
  }

  userDataDir(profileId: string): string {
    return join(this.dataDir, 'profiles', profileId);
  }

  get defaultFolderId(): string {
    return (this.state.folders[0] as FolderRecord).folder_id;
  }

  folders(): FolderRecord[] {
    return this.state.folders.map((folder) => ({ ...folder }));
  }

  /** A profile that exists and is not removed; PROFILE_NOT_FOUND otherwise. */
  get(profileId: string): ProfileRecord {
    const record = this.state.profiles.find((p) => p.id === profileId && !p.is_removed);
    if (!record) throw new LauncherError('PROFILE_NOT_FOUND', `profile "${profileId}" does not exist`);
    return structuredClone(record);
  }

  async create(input: NewProfileInput): Promise<ProfileRecord> {
    const folderId = input.folder_id ? this.checkFolder(input.folder_id) : this.defaultFolderId;
    const at = now();
    const record: ProfileRecord = {
      id: randomUUID(),
      name: input.name || `Profile ${this.state.profiles.length + 1}`,
      folder_id: folderId,
      browser_type: input.browser_type || 'mimic',
      os_type: input.os_type || 'linux',
      tags: dedupe(input.tags ?? []),
      notes: input.notes ?? '',
      proxy: input.proxy ?? null,
      is_removed: false,
      created_at: at,
      updated_at: at,
    };
    this.state.profiles.push(record);
    mkdirSync(this.userDataDir(record.id), { recursive: true });
    await this.save();
    return structuredClone(record);
  }

  search(query: SearchQuery): { profiles: ProfileRecord[]; total_count: number } {
    const needle = query.search_text.trim().toLowerCase();
    const matches = this.state.profiles.filter(
      (p) =>
        p.is_removed === query.is_removed &&
        (!query.folder_id || p.folder_id === query.folder_id) &&
        (!needle || p.name.toLowerCase().includes(needle) || p.id === needle) &&
        (query.tags ?? []).every((tag) => p.tags.includes(tag)),
    );
    // Creation order, so paging with offset is stable while profiles are added.
    const page = matches.slice(query.offset, query.offset + query.limit);
    return { profiles: structuredClone(page), total_count: matches.length };
  }

  async update(profileId: string, patch: ProfilePatch): Promise<ProfileRecord> {
    this.get(profileId);
    const record = this.state.profiles.find((p) => p.id === profileId) as ProfileRecord;
    if (patch.folder_id !== undefined) record.folder_id = this.checkFolder(patch.folder_id);
    if (patch.name !== undefined && patch.name !== '') record.name = patch.name;
    if (patch.notes !== undefined) record.notes = patch.notes;
    if (patch.tags !== undefined) record.tags = dedupe(patch.tags);
    if (patch.proxy !== undefined) record.proxy = patch.proxy;
    record.updated_at = now();
    await this.save();
    return structuredClone(record);
  }

  /**
   * Marks profiles removed, or deletes them and their directories when `permanently`. Unknown
   * ids fail the whole call before anything changes.
   */
  async remove(ids: string[], permanently: boolean): Promise<void> {
    this.assertExist(ids);
    if (permanently) {
      this.state.profiles = this.state.profiles.filter((p) => !ids.includes(p.id));
    } else {
      for (const p of this.state.profiles) {
        if (ids.includes(p.id)) {
          p.is_removed = true;
          p.updated_at = now();
        }
      }
    }
    await this.save();
    if (permanently) {
      await Promise.all(ids.map((id) => rm(this.userDataDir(id), { recursive: true, force: true })));
    }
  }

  /** PROFILE_NOT_FOUND naming every id that is not known (removed ones are known). */
  assertExist(ids: string[]): void {
    const unknown = ids.filter((id) => !this.state.profiles.some((p) => p.id === id));
    if (unknown.length > 0) {
      throw new LauncherError(
        'PROFILE_NOT_FOUND',
        `no profile with id ${unknown.map((id) => `"${id}"`).join(', ')}`,
      );
    }
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  private checkFolder(folderId: string): string {
    if (!this.state.folders.some((f) => f.folder_id === folderId)) {
      throw new LauncherError(
        'FOLDER_NOT_FOUND',
        `folder "${folderId}" does not exist (see GET /workspace/folders)`,
      );
    }
    return folderId;
  }

  private save(): Promise<void> {
    return this.writer.write(this.state);
  }
}

function now(): string {
  return new Date().toISOString();
}

function dedupe(values: string[]): string[] {
  return [...new Set(values)];
}
