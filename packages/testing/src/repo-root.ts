import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (packages/testing/src → ../../..): where `apps/<name>` and `bench/` live. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
