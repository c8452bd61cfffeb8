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

/** Scripts that also get a batched form, `<command>Many` (`ScriptBatcher`): the per-item ones. */
export const BATCHED_SCRIPTS = new Set(['fleetNoteTake', 'fleetClaimPublish', 'fleetRecordPublish']);

/**
 * The batched form of a script: its body becomes a function of its own KEYS and ARGV (locals that
 * shadow the globals), run once per call under pcall, so each call behaves exactly as the script
 * run alone (an error of the server's state, READONLY or OOM, fails the whole call as it would
 * fail each). KEYS: every call's keys, `numberOfKeys` each, in order. ARGV: the number of calls N,
 * N argument counts, then every call's arguments. Returns one `{1, reply}` or `{0, error}` per call.
 */
function batchedForm(source: string, numberOfKeys: number): string {
  const includes: string[] = [];
  const body = source.replace(INCLUDE_RE, (line) => {
    includes.push(line);
    return '';
  });
  return withIncludes(`${includes.join('\n')}
-- Errors of the server's state concern every call: the whole script fails with them, as the plain
-- script would, so a client reconnects and resends on READONLY after a failover (connection.ts).
local serverStates = {'READONLY', 'OOM', 'MASTERDOWN', 'LOADING', 'MISCONF', 'NOREPLICAS', 'BUSY', 'CLUSTERDOWN', 'TRYAGAIN'}
local function ofServerState(message)
  for _, state in ipairs(serverStates) do
    if string.sub(message, 1, #state) == state then return true end
  end
  return false
end
local function one(KEYS, ARGV)
${body}
end
local n = tonumber(ARGV[1])
local out = {}
local k, a = 0, n + 1
for i = 1, n do
  local na = tonumber(ARGV[1 + i])
  local keys, args = {}, {}
  for j = 1, ${numberOfKeys} do keys[j] = KEYS[k + j] end
  for j = 1, na do args[j] = ARGV[a + j] end
  k = k + ${numberOfKeys}
  a = a + na
  local ok, reply = pcall(one, keys, args)
  if ok then
    out[i] = {1, reply}
  else
    local message = type(reply) == 'table' and reply.err or tostring(reply)
    if ofServerState(message) then return redis.error_reply(message) end
    out[i] = {0, message}
  end
end
return out
`);
}

let cache: { command: string; numberOfKeys: number | undefined; lua: string }[] | undefined;

/**
 * Every script of src/lua, with its includes expanded, and the batched forms of BATCHED_SCRIPTS
 * (their key count comes first in the call: `numberOfKeys` undefined). Read from disk once per process.
 */
export function loadScripts(): { command: string; numberOfKeys: number | undefined; lua: string }[] {
  cache ??= readdirSync(LUA_DIR)
    .sort()
    .flatMap((file) => {
      const parsed = parseName(file);
      if (!parsed) return [];
      const source = readFileSync(join(LUA_DIR, file), 'utf8');
      const plain = { ...parsed, lua: withIncludes(source) };
      if (!BATCHED_SCRIPTS.has(parsed.command)) return [plain];
      const many = {
        command: `${parsed.command}Many`,
        numberOfKeys: undefined,
        lua: batchedForm(source, parsed.numberOfKeys),
      };
      return [plain, many];
    });
  return cache;
}

/** Register every script on a connection with `defineCommand` (EVALSHA, falling back to EVAL). */
export function defineScripts(redis: FleetRedis): void {
  for (const { command, numberOfKeys, lua } of loadScripts()) {
    if (!(command in redis))
      redis.defineCommand(command, numberOfKeys === undefined ? { lua } : { numberOfKeys, lua });
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
    fleetSiteAcquire(
      holders: string,
      state: string,
      waiters: string,
      ...args: Str[]
    ): Result<(number | string)[], Context>;
    fleetFairAdd(base: string, ...args: Str[]): Result<number, Context>;
    fleetFairTake(base: string, ...args: Str[]): Result<string[], Context>;
    fleetFairDone(base: string, ...args: Str[]): Result<number, Context>;
    fleetFairCancel(base: string, ...args: Str[]): Result<[number, string], Context>;
    fleetFairPriority(base: string, ...args: Str[]): Result<number, Context>;
    fleetSiteRenew(holders: string, ...args: Str[]): Result<number, Context>;
    fleetSiteSlow(state: string): Result<number, Context>;
    fleetPublish(stream: string, dedupe: string, ...args: Str[]): Result<string | null, Context>;
    fleetCounts(
      members: string,
      available: string,
      leases: string,
      quarantine: string,
    ): Result<[number, number, number, number, number, number], Context>;
  }
}
