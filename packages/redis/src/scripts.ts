import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Result } from 'ioredis';
import type { FleetRedis } from './connection.js';

const LUA_DIR = join(dirname(fileURLToPath(import.meta.url)), 'lua');
const INCLUDE_RE = /^--- @include "([a-z0-9-]+)"$/gm;

/** `acquire-5.lua` → `{ name: 'fleetAcquire', numberOfKeys: 5 }`. */
function parseName(file: string): { command: string; numberOfKeys: number } | null {
  const match = /^([a-z-]+)-(\d+)\.lua$/.exec(file);
  if (!match) return null;
  const words = match[1]!.split('-');
  const command = `fleet${words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')}`;
  return { command, numberOfKeys: Number(match[2]) };
}

function withIncludes(source: string, seen = new Set<string>()): string {
  return source.replace(INCLUDE_RE, (_line, name: string) => {
    if (seen.has(name)) return `-- (${name} already included)`;
    seen.add(name);
    return withIncludes(readFileSync(join(LUA_DIR, 'includes', `${name}.lua`), 'utf8'), seen);
  });
}

let cache: { command: string; numberOfKeys: number; lua: string }[] | undefined;

/** Every script of src/lua, with its includes expanded. Read from disk once per process. */
export function loadScripts(): { command: string; numberOfKeys: number; lua: string }[] {
  cache ??= readdirSync(LUA_DIR)
    .sort()
    .flatMap((file) => {
      const parsed = parseName(file);
      if (!parsed) return [];
      return [{ ...parsed, lua: withIncludes(readFileSync(join(LUA_DIR, file), 'utf8')) }];
    });
  return cache;
}

/** Register every script on a connection with `defineCommand` (EVALSHA, falling back to EVAL). */
export function defineScripts(redis: FleetRedis): void {
  for (const { command, numberOfKeys, lua } of loadScripts()) {
    if (!(command in redis)) redis.defineCommand(command, { numberOfKeys, lua });
  }
}

type Str = string | number;

// Typed through ioredis' module augmentation: one signature per script, keys then args.
declare module 'ioredis' {
  interface RedisCommander<Context> {
    fleetRegister(
      members: string,
      available: string,
      profile: string,
      meta: string,
      ...args: Str[]
    ): Result<number, Context>;
    fleetUpdate(profile: string, available: string, ...args: Str[]): Result<number, Context>;
    fleetUnregister(
      members: string,
      available: string,
      leases: string,
      quarantine: string,
      profile: string,
      ...args: Str[]
    ): Result<number, Context>;
    fleetAcquire(
      members: string,
      available: string,
      leases: string,
      quarantine: string,
      fence: string,
      ...args: Str[]
    ): Result<number | [string, number, number, number], Context>;
    fleetRenew(leases: string, profile: string, ...args: Str[]): Result<number | [number, number], Context>;
    fleetRelease(
      available: string,
      leases: string,
      quarantine: string,
      profile: string,
      ...args: Str[]
    ): Result<number | [number, number], Context>;
    fleetReclaim(
      available: string,
      leases: string,
      quarantine: string,
      ...args: Str[]
    ): Result<string[], Context>;
    fleetQuarantine(
      members: string,
      available: string,
      leases: string,
      quarantine: string,
      profile: string,
      ...args: Str[]
    ): Result<number | string[], Context>;
    fleetUnquarantine(
      members: string,
      available: string,
      quarantine: string,
      profile: string,
      ...args: Str[]
    ): Result<number, Context>;
    fleetClaim(meta: string, results: string, claims: string, ...args: Str[]): Result<number, Context>;
    fleetClaimPublish(
      meta: string,
      results: string,
      claims: string,
      stream: string,
      ...args: Str[]
    ): Result<number, Context>;
    fleetCancel(meta: string, results: string, claims: string, ...args: Str[]): Result<number, Context>;
    fleetExtendClaim(meta: string, claims: string, ...args: Str[]): Result<number, Context>;
    fleetCheckpoint(
      meta: string,
      claims: string,
      checkpoints: string,
      ...args: Str[]
    ): Result<number, Context>;
    fleetRecord(
      meta: string,
      results: string,
      claims: string,
      ...args: Str[]
    ): Result<[number, number, number, number], Context>;
    fleetRecordPublish(
      meta: string,
      results: string,
      claims: string,
      stream: string,
      itemDedupe: string,
      batchDedupe: string,
      ...args: Str[]
    ): Result<[number, number, number, number], Context>;
    fleetNoteTake(stalls: string, meta: string, ...args: Str[]): Result<string[], Context>;
    fleetTallyError(errors: string, ...args: Str[]): Result<number, Context>;
    fleetPublish(stream: string, dedupe: string, ...args: Str[]): Result<string | null, Context>;
    fleetCounts(
      members: string,
      available: string,
      leases: string,
      quarantine: string,
    ): Result<[number, number, number, number, number, number], Context>;
  }
}
