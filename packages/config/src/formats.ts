import convict from 'convict';

// Named formats, registered with convict once when this module loads. Convict picks a string's
// coercion by the *name* of its format, so every format that parses env strings must be a named one;
// a `format` function alone would leave e.g. `FOO=abc` to convict's defaults (`JSON.parse` for
// array defaults, which throws before validation and echoes the text, secrets included).
//
// Rules for every format here: coercion never throws (an unparseable string is passed through so
// validation reports it with every other problem), and messages never repeat the value (convict
// appends it itself, except for `sensitive` settings).

export const FORMAT = {
  port: 'tcp-port',
  durationMs: 'duration-ms',
  httpUrl: 'http-url',
  redisUrl: 'redis-url',
  keyPrefix: 'key-prefix',
  csv: 'csv',
  jsonList: 'json-list',
  flag: 'flag',
  percent: 'percent',
} as const;

/** A check for one item of a `jsonList` or `csvList`: return a problem message, or undefined when the item is fine. */
export type ItemCheck = (item: unknown, index: number) => string | undefined;

const REQUIRED = 'is required and has no default';

function required(value: unknown): void {
  if (value === null || value === undefined) throw new Error(REQUIRED);
}

function toInteger(value: unknown): unknown {
  return typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
}

function hasProtocol(value: unknown, protocols: readonly string[]): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return protocols.includes(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false }; // JSON.parse's message quotes the text, which may be a secret
  }
}

// Anything but an array stays the raw string: convict would take an object apart into keys it
// reports as undeclared, instead of saying what is wrong.
function parseJsonList(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const parsed = parseJson(value);
  return parsed.ok && Array.isArray(parsed.value) ? parsed.value : value;
}

/** Runs the schema's `items` check on every entry and reports every bad one at once. */
function checkItems(value: unknown[], schema: convict.SchemaObj): void {
  const check = schema.items as ItemCheck | undefined;
  if (!check) return;
  const problems = value
    .map((item, index) => check(item, index))
    .filter((p): p is string => typeof p === 'string')
    .map((p) => p.replace(/\s+/g, ' '));
  if (problems.length > 0) throw new Error(problems.join('; '));
}

function validateJsonList(value: unknown, schema: convict.SchemaObj): void {
  required(value);
  if (typeof value === 'string' && !parseJson(value).ok) {
    throw new Error('must be a JSON array, and this is not valid JSON');
  }
  if (!Array.isArray(value)) throw new Error('must be a JSON array, e.g. [{"name":"ops"}]');
  checkItems(value, schema);
}

const FLAG_WORDS: Record<string, boolean> = {
  true: true,
  false: false,
  '1': true,
  '0': false,
  yes: true,
  no: false,
  on: true,
  off: false,
};

convict.addFormats({
  [FORMAT.port]: {
    coerce: toInteger,
    validate(value: unknown) {
      required(value);
      if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535) {
        throw new Error('must be a TCP port: a whole number from 0 to 65535');
      }
    },
  },
  [FORMAT.durationMs]: {
    coerce: toInteger,
    validate(value: unknown) {
      required(value);
      if (!Number.isSafeInteger(value) || (value as number) < 0) {
        throw new Error('must be a duration in milliseconds: a whole number >= 0');
      }
    },
  },
  [FORMAT.percent]: {
    coerce: toInteger,
    validate(value: unknown) {
      required(value);
      if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 100) {
        throw new Error('must be a whole percent from 0 to 100');
      }
    },
  },
  [FORMAT.httpUrl]: {
    validate(value: unknown) {
      required(value);
      if (!hasProtocol(value, ['http:', 'https:'])) {
        throw new Error('must be an http:// or https:// URL');
      }
    },
  },
  [FORMAT.redisUrl]: {
    validate(value: unknown) {
      required(value);
      if (!hasProtocol(value, ['redis:', 'rediss:'])) {
        throw new Error('must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379');
      }
    },
  },
  [FORMAT.keyPrefix]: {
    validate(value: unknown) {
      required(value);
      // It becomes the first segment of every Redis key and queue name: a brace would break the
      // cluster hash tags that follow it and a colon would blur the key's segments.
      if (typeof value !== 'string' || !/^[A-Za-z0-9_-]+$/.test(value)) {
        throw new Error('must be letters, digits, _ or - only (no braces, colons or spaces)');
      }
    },
  },
  [FORMAT.csv]: {
    coerce: (value: unknown) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((part) => part.trim())
            .filter((part) => part !== '')
        : value,
    validate(value: unknown, schema: convict.SchemaObj) {
      required(value);
      if (!Array.isArray(value) || !value.every((part) => typeof part === 'string')) {
        throw new Error('must be a comma-separated list');
      }
      checkItems(value, schema);
    },
  },
  [FORMAT.jsonList]: { coerce: parseJsonList, validate: validateJsonList },
  [FORMAT.flag]: {
    // convict's own Boolean reads any text but "false" as true ("0", "no", "off" included).
    coerce: (value: unknown) =>
      typeof value === 'string' ? (FLAG_WORDS[value.trim().toLowerCase()] ?? value) : value,
    validate(value: unknown) {
      required(value);
      if (typeof value !== 'boolean') throw new Error('must be true or false (or 1/0, yes/no, on/off)');
    },
  },
});

/** What every setting declares. `default: null` makes the setting required. */
export interface SettingOptions<T> {
  env: string;
  default: T | null;
  doc: string;
  sensitive?: boolean;
}

function setting<T>(format: string, options: SettingOptions<T>): convict.SchemaObj<T> {
  return { format, sensitive: false, ...options };
}

/** A TCP port (0-65535); rejects `80x`, which convict's own `port` would read as 80. */
export function port(options: SettingOptions<number>): convict.SchemaObj<number> {
  return setting(FORMAT.port, options);
}

/** A whole, non-negative number of milliseconds. */
export function durationMs(options: SettingOptions<number>): convict.SchemaObj<number> {
  return setting(FORMAT.durationMs, options);
}

/** A whole percent, 0-100. */
export function percent(options: SettingOptions<number>): convict.SchemaObj<number> {
  return setting(FORMAT.percent, options);
}

/** An http:// or https:// URL. */
export function httpUrl(options: SettingOptions<string>): convict.SchemaObj<string> {
  return setting(FORMAT.httpUrl, options);
}

/**
 * A comma-separated list in env (`a, b,c`), or a JSON array of strings in the config file. `items`
 * checks each entry (as in `jsonList`).
 */
export function csvList(
  options: SettingOptions<string[]> & { items?: ItemCheck },
): convict.SchemaObj<string[]> {
  return setting(FORMAT.csv, options);
}

/** true or false; env also takes 1/0, yes/no, on/off, and refuses anything else. */
export function flag(options: SettingOptions<boolean>): convict.SchemaObj<boolean> {
  return setting(FORMAT.flag, options);
}

/**
 * A JSON array (env: JSON text; file: an array). `items` checks each entry, so bad entries are
 * reported with every other problem; its messages must not repeat secret values.
 */
export function jsonList<T>(options: SettingOptions<T[]> & { items?: ItemCheck }): convict.SchemaObj<T[]> {
  return setting(FORMAT.jsonList, options);
}
