import type { Writable } from 'node:stream';
import type { ApiClient } from '../api-client.js';
import { usageError } from '../cli-error.js';
import type { Settings } from '../settings.js';

/** The option values of one command line, by long name (`duration-ms`, not `durationMs`). */
export type Flags = Record<string, string | boolean | undefined>;

/** Where a command writes. stdout carries results; stderr only failures (main.ts prints those). */
export interface Output {
  /** One line (or several, joined by \n) to stdout. */
  print(text: string): void;
  /** Raw text to stdout (progress bar redraws). */
  write(text: string): void;
  /** stdout itself, for bytes streamed with backpressure (`fleet batches results`). */
  stream: Writable;
  /** Whether stdout is a terminal, and how wide. */
  isTTY: boolean;
  columns: number;
}

export interface CommandContext {
  /** Positional arguments after the command's words, by the names the command declares. */
  args: Record<string, string>;
  flags: Flags;
  out: Output;
  /** Where relative paths are resolved: the directory the user ran the command from. */
  baseDir: string;
  /** Resolved on first use, so `--help` and local checks need no key. */
  settings(): Settings;
  api(): ApiClient;
}

export interface Command {
  /** The words that name it: `['batches', 'list']`. */
  words: string[];
  /** `<id>`-style positional arguments, all required. */
  args: string[];
  /** Long option names the command takes, besides the global ones. */
  options: string[];
  /** `fleet batches list [--limit N]`. */
  synopsis: string;
  summary: string;
  /** Resolves the exit code. */
  run(ctx: CommandContext): Promise<number>;
}

/** Options every command takes. */
export const GLOBAL_OPTIONS = ['api-url', 'api-key', 'notifier-url', 'help'];

/** Every option any command takes: `util.parseArgs` reads the whole line against this table. */
export const OPTION_TYPES = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  watch: { type: 'boolean' },
  csv: { type: 'boolean' },
  'api-url': { type: 'string' },
  'api-key': { type: 'string' },
  'notifier-url': { type: 'string' },
  'idempotency-key': { type: 'string' },
  limit: { type: 'string' },
  out: { type: 'string', short: 'o' },
  state: { type: 'string' },
  pool: { type: 'string' },
  tags: { type: 'string' },
  folder: { type: 'string' },
  launcher: { type: 'string' },
  reason: { type: 'string' },
  'duration-ms': { type: 'string' },
  cron: { type: 'string' },
  timezone: { type: 'string' },
  'every-ms': { type: 'string' },
  id: { type: 'string' },
} as const;

export function stringFlag(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' ? value : undefined;
}

/** A whole number in [min, max], or undefined when the flag is absent. */
export function intFlag(flags: Flags, name: string, min: number, max: number): number | undefined {
  const value = stringFlag(flags, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
    throw usageError(`--${name} must be a whole number from ${min} to ${max} (got "${value.slice(0, 40)}")`);
  }
  return n;
}

/** One of the allowed values, or undefined when the flag is absent. */
export function choiceFlag<T extends string>(
  flags: Flags,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const value = stringFlag(flags, name);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw usageError(`--${name} must be one of ${allowed.join(', ')} (got "${value.slice(0, 40)}")`);
  }
  return value as T;
}

/** `--tags a,b` → `['a', 'b']`. */
export function tagsFlag(flags: Flags): string[] | undefined {
  const value = stringFlag(flags, 'tags');
  if (value === undefined) return undefined;
  const tags = value
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (tags.length === 0) throw usageError('--tags needs at least one tag: --tags a,b');
  return tags;
}

/** A flag the command cannot do without. */
export function requiredFlag(flags: Flags, name: string, synopsis: string): string {
  const value = stringFlag(flags, name);
  if (value === undefined || value === '') throw usageError(`missing --${name}`, `usage: ${synopsis}`);
  return value;
}

/** JSON for `--json`: two-space indented, one document. */
export function printJson(out: Output, value: unknown): void {
  out.print(JSON.stringify(value, null, 2));
}
