import { type BatchFile, type ItemJob, MAX_BATCH_FILE_BYTES, MAX_BATCH_FILES_BYTES } from '@fleet/contracts';
import type { ArtifactStore } from '@fleet/core';
import { ApiError, type Detail } from '../api-error.js';

/** A batch file decoded and checked, ready to store. */
export interface DecodedFile {
  name: string;
  filename: string;
  type: string;
  bytes: Buffer;
}

const DEFAULT_TYPE = 'application/octet-stream';

/**
 * The body's files decoded; a 400 VALIDATION_FAILED listing every file whose content is not
 * canonical base64 or whose decoded size is over the limits (the schema only estimated them).
 */
export function decodeBatchFiles(files: BatchFile[]): DecodedFile[] {
  const problems: Detail[] = [];
  let total = 0;
  const decoded = files.map((file, i) => {
    const bytes = Buffer.from(file.contentBase64, 'base64');
    // Node decodes leniently (stray padding, a dangling character): re-encoding tells.
    const canonical = bytes.toString('base64');
    const given = file.contentBase64;
    if (given.length % 4 === 1 || (canonical !== given && canonical.replace(/=+$/, '') !== given)) {
      problems.push({ field: `files[${i}].contentBase64`, message: 'not valid base64 (standard alphabet)' });
    }
    if (bytes.byteLength > MAX_BATCH_FILE_BYTES) {
      problems.push({
        field: `files[${i}].contentBase64`,
        message: `${bytes.byteLength} bytes: a file may have at most ${MAX_BATCH_FILE_BYTES}`,
      });
    }
    total += bytes.byteLength;
    // Media types are case-insensitive: one spelling for the store and the page.
    return {
      name: file.name,
      filename: file.filename,
      type: (file.type ?? DEFAULT_TYPE).toLowerCase(),
      bytes,
    };
  });
  if (total > MAX_BATCH_FILES_BYTES) {
    problems.push({ field: 'files', message: `${total} bytes in all: at most ${MAX_BATCH_FILES_BYTES}` });
  }
  if (problems.length > 0) throw new ApiError('VALIDATION_FAILED', 'the request body is not valid', problems);
  return decoded;
}

/**
 * The artifact `itemId` of a batch's uploaded files: `<batchId>.files`. The batch owns them, so
 * they are served (and swept) with the batch; no item index is ever "files".
 */
export function batchFilesOwner(batchId: string): string {
  return `${batchId}.files`;
}

/** Stores each file as an artifact of the batch; the jobs' `files`: name → artifact id, never bytes. */
export async function storeBatchFiles(
  store: ArtifactStore,
  batchId: string,
  files: DecodedFile[],
): Promise<NonNullable<ItemJob['files']>> {
  const stored: Array<[string, { artifactId: string; filename: string; type: string }]> = [];
  for (const file of files) {
    const artifactId = await store.put(file.bytes, {
      itemId: batchFilesOwner(batchId),
      name: file.name,
      type: file.type,
    });
    stored.push([file.name, { artifactId, filename: file.filename, type: file.type }]);
  }
  // fromEntries defines own properties: a file named "__proto__" stays a plain entry.
  return Object.fromEntries(stored);
}
