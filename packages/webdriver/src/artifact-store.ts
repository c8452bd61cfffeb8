import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactStore } from '@fleet/core';

/** 16 random bytes, base64url: 22 characters, 128 bits, not guessable from another id. */
const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** True for a well-formed artifact id: the only ids ever turned into a path. */
export function isArtifactId(id: string): boolean {
  return ID_PATTERN.test(id);
}

interface ArtifactMeta {
  itemId: string;
  name: string;
  createdAt: string;
  bytes: number;
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
 * Screenshots as files under one directory (ARTIFACTS_DIR): `<id>.png` and `<id>.json` (itemId,
 * name, createdAt, bytes). The meta file is written last, so its presence means the PNG is whole.
 */
export class FileArtifactStore implements ArtifactStore {
  constructor(private readonly dir: string) {}

  async put(png: Uint8Array, meta: { itemId: string; name: string }): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const id = randomBytes(16).toString('base64url');
    const record: ArtifactMeta = {
      itemId: meta.itemId,
      name: meta.name,
      createdAt: new Date().toISOString(),
      bytes: png.byteLength,
    };
    await writeAtomically(join(this.dir, `${id}.png`), png);
    await writeAtomically(join(this.dir, `${id}.json`), `${JSON.stringify(record)}\n`);
    return id;
  }

  /** The PNG and its meta; null for an unknown or malformed id (never a path outside the directory). */
  async get(id: string): Promise<{ png: Uint8Array; itemId: string; name: string } | null> {
    if (!isArtifactId(id)) return null;
    try {
      const meta = JSON.parse(await readFile(join(this.dir, `${id}.json`), 'utf8')) as ArtifactMeta;
      const png = await readFile(join(this.dir, `${id}.png`));
      return {
        png: new Uint8Array(png.buffer, png.byteOffset, png.byteLength),
        itemId: meta.itemId,
        name: meta.name,
      };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }
}
