import { randomBytes } from 'node:crypto';
import { mkdir, opendir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ArtifactMeta, type ArtifactStore, batchIdOfArtifact, InvalidArgumentError } from '@fleet/core';

/** 16 random bytes, base64url: 22 characters, 128 bits, not guessable from another id. */
const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** True for a well-formed artifact id: the only ids ever turned into a path. */
export function isArtifactId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/**
 * `type/subtype` in lowercase (as batch files' types are stored), optionally `; charset=…`: nothing
 * that could split a header.
 */
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,127}(; ?charset=[A-Za-z0-9_-]{1,40})?$/;

/** Artifacts written before types existed have none in their meta: they were all PNGs. */
const LEGACY_TYPE = 'image/png';

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'text/html': 'html',
  'text/plain': 'txt',
  // Not application/json → `json`: `<id>.json` is the meta file.
};

/** The data file's extension: readable names for the common types, `bin` for the rest. */
function extensionOf(type: string): string {
  return EXTENSIONS[type.split(';')[0]!.trim()] ?? 'bin';
}

interface StoredMeta {
  itemId: string;
  name: string;
  /** Absent in artifacts written before types existed: image/png. */
  type?: string;
  createdAt: string;
  bytes: number;
}

export interface SweepOptions {
  /**
   * Whether a batch still exists. Throwing stops the sweep (nothing is removed on a doubt, e.g.
   * Redis unreachable).
   */
  batchExists(batchId: string): Promise<boolean>;
  /** Artifacts younger than this stay whatever their batch (an upload is stored before its batch). */
  minAgeMs: number;
  now?: number;
}

/** Writes a file whole or not at all: a reader never sees half a screenshot. */
async function writeAtomically(file: string, content: Uint8Array | string): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, content, { flag: 'wx' });
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Artifacts as files under one directory (ARTIFACTS_DIR): the bytes in `<id>.<ext>` (png, jpg,
 * html, txt, else bin, after the type) and the meta in `<id>.json` (itemId, name, type, createdAt,
 * bytes). The meta file is written last, so its presence means the data is whole. Artifacts
 * written before types existed have no `type` in their meta: PNGs in `<id>.png`, read as such.
 */
export class FileArtifactStore implements ArtifactStore {
  constructor(private readonly dir: string) {}

  async put(bytes: Uint8Array, meta: ArtifactMeta): Promise<string> {
    if (!MEDIA_TYPE.test(meta.type)) {
      throw new InvalidArgumentError(`"${meta.type.slice(0, 100)}" is not a media type`, [
        { field: 'type', message: 'a media type such as image/png or text/plain; charset=utf-8' },
      ]);
    }
    await mkdir(this.dir, { recursive: true });
    const id = randomBytes(16).toString('base64url');
    const record: StoredMeta = {
      itemId: meta.itemId,
      name: meta.name,
      type: meta.type,
      createdAt: new Date().toISOString(),
      bytes: bytes.byteLength,
    };
    await writeAtomically(this.dataFile(id, meta.type), bytes);
    await writeAtomically(this.metaFile(id), `${JSON.stringify(record)}\n`);
    return id;
  }

  /** The bytes and their meta; null for an unknown or malformed id (never a path outside the directory). */
  async get(id: string): Promise<({ bytes: Uint8Array } & ArtifactMeta) | null> {
    if (!isArtifactId(id)) return null;
    try {
      const meta = await this.readMeta(id);
      const type = meta.type ?? LEGACY_TYPE;
      const data = await readFile(this.dataFile(id, type));
      return {
        bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        itemId: meta.itemId,
        name: meta.name,
        type,
      };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  /** Removes an artifact (meta first: it is unknown from then on). */
  async remove(id: string): Promise<void> {
    if (!isArtifactId(id)) return;
    const meta = await this.readMeta(id).catch(() => null);
    await rm(this.metaFile(id), { force: true });
    await rm(this.dataFile(id, meta?.type ?? LEGACY_TYPE), { force: true });
  }

  /**
   * Removes the artifacts whose batch no longer exists (expired or deleted), older than
   * `minAgeMs`; also data and temporary files a put left without meta. Returns how many artifacts
   * went. One pass over the directory, one `batchExists` per batch met.
   */
  async sweep(options: SweepOptions): Promise<number> {
    const now = options.now ?? Date.now();
    const exists = new Map<string, Promise<boolean>>();
    const batchExists = (batchId: string) => {
      let known = exists.get(batchId);
      if (!known) {
        known = options.batchExists(batchId);
        exists.set(batchId, known);
      }
      return known;
    };
    let removed = 0;
    for await (const entry of this.entries()) {
      if (!entry.isFile()) continue;
      const id = entry.name.slice(0, 22);
      if (!isArtifactId(id) || entry.name[22] !== '.') continue;
      if (entry.name === `${id}.json`) {
        const meta = await this.readMeta(id).catch(() => null);
        if (!meta) continue;
        const createdAt = Date.parse(meta.createdAt);
        if (!(now - createdAt >= options.minAgeMs)) continue;
        const batchId = batchIdOfArtifact(meta.itemId);
        if (batchId !== null && (await batchExists(batchId))) continue;
        await this.remove(id);
        removed++;
      } else if (await this.isLeftover(entry.name, id, now, options.minAgeMs)) {
        await rm(join(this.dir, entry.name), { force: true });
      }
    }
    return removed;
  }

  /** Removes every artifact of one batch (its batch was deleted); how many went. One directory pass. */
  async removeBatch(batchId: string): Promise<number> {
    let removed = 0;
    for await (const entry of this.entries()) {
      const id = entry.name.slice(0, 22);
      if (!entry.isFile() || entry.name !== `${id}.json` || !isArtifactId(id)) continue;
      const meta = await this.readMeta(id).catch(() => null);
      if (meta && batchIdOfArtifact(meta.itemId) === batchId) {
        await this.remove(id);
        removed++;
      }
    }
    return removed;
  }

  /** The directory's files, one by one (none when the directory does not exist yet). */
  private async *entries(): AsyncGenerator<{ name: string; isFile(): boolean }> {
    let handle: Awaited<ReturnType<typeof opendir>>;
    try {
      handle = await opendir(this.dir);
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    yield* handle;
  }

  /** A data or temporary file with no meta beside it (a put that died half-way), old enough. */
  private async isLeftover(file: string, id: string, now: number, minAgeMs: number): Promise<boolean> {
    try {
      const info = await stat(join(this.dir, file));
      if (now - info.mtimeMs < minAgeMs) return false;
      if (file.endsWith('.tmp')) return true;
      await stat(this.metaFile(id));
      return false;
    } catch (error) {
      if (isMissing(error)) return true;
      throw error;
    }
  }

  private async readMeta(id: string): Promise<StoredMeta> {
    return JSON.parse(await readFile(this.metaFile(id), 'utf8')) as StoredMeta;
  }

  private metaFile(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  private dataFile(id: string, type: string): string {
    return join(this.dir, `${id}.${extensionOf(type)}`);
  }
}
