import { type ErrorDetail, InvalidArgumentError } from './errors.js';
import type { PoolSelector } from './lease.js';
import type { NewProfile, ProfilePatch, ProxyConfig } from './profile.js';

// Names end up inside Redis keys and hash tags: no braces, colons or spaces.
const POOL_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const PROFILE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const TAG_RE = /^[A-Za-z0-9][A-Za-z0-9_.:=-]{0,63}$/;
const MAX_TAGS = 32;
/** A lease longer than a day is a bug in the caller, not a plan. */
export const MAX_LEASE_TTL_MS = 24 * 60 * 60 * 1000;

function fail(message: string, details: ErrorDetail[]): never {
  throw new InvalidArgumentError(message, details);
}

export function checkPool(pool: unknown, field = 'pool'): string {
  if (typeof pool !== 'string' || pool.length === 0) {
    fail('a pool name is required', [{ field, message: 'must be a non-empty string' }]);
  }
  if (!POOL_RE.test(pool)) {
    fail(`pool name "${pool}" is not valid`, [
      { field, message: 'use 1-64 letters, digits, "_", "." or "-", starting with a letter or digit' },
    ]);
  }
  return pool;
}

export function checkProfileId(id: unknown, field = 'id'): string {
  if (typeof id !== 'string' || !PROFILE_ID_RE.test(id)) {
    fail(`profile id ${JSON.stringify(id)} is not valid`, [
      { field, message: 'use 1-128 letters, digits, "_", "." or "-", starting with a letter or digit' },
    ]);
  }
  return id;
}

export function checkTags(tags: unknown, field = 'tags'): string[] {
  if (tags === undefined) return [];
  if (!Array.isArray(tags)) fail('tags must be a list of strings', [{ field, message: 'must be an array' }]);
  if (tags.length > MAX_TAGS) fail(`at most ${MAX_TAGS} tags`, [{ field, message: 'too many tags' }]);
  const details: ErrorDetail[] = [];
  tags.forEach((tag, i) => {
    if (typeof tag !== 'string' || !TAG_RE.test(tag)) {
      details.push({ field: `${field}[${i}]`, message: `tag ${JSON.stringify(tag)} is not valid` });
    }
  });
  if (details.length > 0) fail('some tags are not valid', details);
  return [...new Set(tags as string[])].sort();
}

export function checkSelector(selector: unknown): Required<PoolSelector> {
  if (typeof selector !== 'object' || selector === null) {
    fail('a pool selector is required', [{ field: 'selector', message: 'must be { pool, tags? }' }]);
  }
  const { pool, tags } = selector as PoolSelector;
  return { pool: checkPool(pool, 'selector.pool'), tags: checkTags(tags, 'selector.tags') };
}

export function checkTtl(ttlMs: unknown, field = 'ttlMs'): number {
  if (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs <= 0 || ttlMs > MAX_LEASE_TTL_MS) {
    fail(`lease TTL ${String(ttlMs)} is not valid`, [
      { field, message: `must be a whole number of milliseconds, 1..${MAX_LEASE_TTL_MS}` },
    ]);
  }
  return ttlMs;
}

export function checkOwner(owner: unknown): string {
  if (typeof owner !== 'string' || owner.length === 0 || owner.length > 200) {
    fail('a lease owner is required', [{ field: 'owner', message: 'must be a string of 1-200 characters' }]);
  }
  return owner;
}

export function checkProxy(proxy: unknown, field = 'proxy'): ProxyConfig | null {
  if (proxy === undefined || proxy === null) return null;
  const p = proxy as Partial<ProxyConfig>;
  const details: ErrorDetail[] = [];
  if (!['http', 'https', 'socks5'].includes(p.type as string)) {
    details.push({ field: `${field}.type`, message: 'must be http, https or socks5' });
  }
  if (typeof p.host !== 'string' || p.host.length === 0 || p.host.length > 253) {
    details.push({ field: `${field}.host`, message: 'must be a host name or address' });
  }
  if (typeof p.port !== 'number' || !Number.isInteger(p.port) || p.port < 1 || p.port > 65535) {
    details.push({ field: `${field}.port`, message: 'must be a port number 1-65535' });
  }
  for (const key of ['username', 'password'] as const) {
    if (p[key] !== undefined && typeof p[key] !== 'string') {
      details.push({ field: `${field}.${key}`, message: 'must be a string' });
    }
  }
  if (details.length > 0) fail('the proxy is not valid', details);
  const out: ProxyConfig = { type: p.type!, host: p.host!, port: p.port! };
  if (p.username !== undefined) out.username = p.username;
  if (p.password !== undefined) out.password = p.password;
  return out;
}

export function checkNewProfile(profile: NewProfile): NewProfile {
  return {
    id: checkProfileId(profile?.id),
    pool: checkPool(profile?.pool),
    tags: checkTags(profile.tags),
    providerIds: { ...(profile.providerIds ?? {}) },
    proxy: checkProxy(profile.proxy),
  };
}

export function checkPatch(patch: ProfilePatch): ProfilePatch {
  const out: ProfilePatch = {};
  if (patch.tags !== undefined) out.tags = checkTags(patch.tags);
  if (patch.providerIds !== undefined) out.providerIds = { ...patch.providerIds };
  if (patch.proxy !== undefined) out.proxy = checkProxy(patch.proxy);
  return out;
}
