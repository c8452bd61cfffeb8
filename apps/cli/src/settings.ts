import { readFileSync } from 'node:fs';
import { usageError } from './cli-error.js';

/** Where the CLI finds the fleet: the API, its key, and the notifier. */
export interface Settings {
  apiUrl: string;
  notifierUrl: string;
  /** A secret: never printed, never part of an error message. */
  apiKey: string;
  /** Where the key came from, to say so when the API refuses it. */
  keySource: string;
}

export interface SettingsFlags {
  apiUrl?: string | undefined;
  apiKey?: string | undefined;
  notifierUrl?: string | undefined;
}

/** The ports `fleet up` and the apps listen on by default. */
export const DEFAULT_API_URL = 'http://127.0.0.1:3000';
export const DEFAULT_NOTIFIER_URL = 'http://127.0.0.1:3001';

/** What `fleet up` writes (`.fleet/up.json`); the CLI reads only these three fields. */
interface UpFile {
  apiUrl?: unknown;
  notifierUrl?: unknown;
  apiKey?: unknown;
}

/**
 * Flags first, then `FLEET_API_URL` / `FLEET_API_KEY` / `FLEET_NOTIFIER_URL`, then the file `fleet
 * up` wrote (`upFile`), then the default ports for the URLs. The file is read only when a flag or
 * an env var leaves something unset.
 */
export function resolveSettings(flags: SettingsFlags, env: NodeJS.ProcessEnv, upFile: string): Settings {
  const given = (value: string | undefined) =>
    value === undefined || value.trim() === '' ? undefined : value;
  const apiUrl = given(flags.apiUrl) ?? given(env.FLEET_API_URL);
  const notifierUrl = given(flags.notifierUrl) ?? given(env.FLEET_NOTIFIER_URL);
  let apiKey = given(flags.apiKey);
  let keySource = '--api-key';
  if (!apiKey && given(env.FLEET_API_KEY)) {
    apiKey = env.FLEET_API_KEY!;
    keySource = 'FLEET_API_KEY';
  }
  const up = apiUrl && notifierUrl && apiKey ? {} : readUpFile(upFile);
  if (!apiKey && typeof up.apiKey === 'string' && up.apiKey !== '') {
    apiKey = up.apiKey;
    keySource = upFile;
  }
  if (!apiKey) {
    throw usageError(
      'no API key: pass --api-key, set FLEET_API_KEY, or start the fleet with `pnpm start` (it writes .fleet/up.json)',
    );
  }
  return {
    apiUrl: checkUrl('--api-url', apiUrl ?? stringOr(up.apiUrl, DEFAULT_API_URL)),
    notifierUrl: checkUrl('--notifier-url', notifierUrl ?? stringOr(up.notifierUrl, DEFAULT_NOTIFIER_URL)),
    apiKey,
    keySource,
  };
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}

/** The file's fields, or nothing when there is no file (the fleet was not started with `fleet up`). */
function readUpFile(path: string): UpFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw usageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as UpFile;
  } catch {
    // reported below
  }
  throw usageError(`${path} is not the JSON object \`fleet up\` writes: delete it or start the fleet again`);
}

function checkUrl(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`${flag}: "${value.slice(0, 200)}" is not a URL (e.g. http://127.0.0.1:3000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`${flag}: use an http:// or https:// URL`);
  }
  return value.replace(/\/+$/, '');
}
