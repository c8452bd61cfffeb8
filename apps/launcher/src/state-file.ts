import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Reads a JSON state file; `undefined` when it does not exist yet. */
export function readJsonFile<T>(path: string): T | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as T;
}

/**
 * Writes JSON so that a crash at any moment leaves either the old or the new file, never a torn
 * one: a temporary file in the same directory, fsync'd, then renamed over the target.
 */
export async function writeJsonFile(path: string, value: unknown, mode = 0o644): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(tmp, 'w', mode);
  try {
    await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}

/** The synchronous twin, for startup and for the last write at shutdown. */
export function writeJsonFileSync(path: string, value: unknown, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode });
  renameSync(tmp, path);
}

/** Serializes async writes of one file so a slow write never lands after a newer one. */
export class SerialWriter {
  private last: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly mode = 0o644,
  ) {}

  write(value: unknown): Promise<void> {
    const next = this.last.then(() => writeJsonFile(this.path, value, this.mode));
    this.last = next.catch(() => undefined);
    return next;
  }

  /** Resolves once every queued write has landed (or failed). */
  flush(): Promise<void> {
    return this.last;
  }
}
