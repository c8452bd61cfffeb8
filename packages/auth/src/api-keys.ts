import { createHash, timingSafeEqual } from 'node:crypto';

export const ROLES = ['admin', 'user'] as const;
export type Role = (typeof ROLES)[number];

/** Who a request or socket acts as: the key's name (a batch's owner) and its role. */
export interface Principal {
  name: string;
  role: Role;
}

/** One `FLEET_API_KEYS` entry: a plain `key` (hashed at load) or its `sha256` (hex). */
export interface ApiKeyEntry {
  name: string;
  role: Role;
  key?: string;
  sha256?: string;
  /** Its share of running slots against other keys with work (fair share; default 1). */
  weight?: number;
  /** Its items running at once, at most (fair share; none by default). */
  maxRunning?: number;
}

/** A key's fair share settings (README "Sharing a fleet"). */
export interface KeyShare {
  weight: number;
  /** 0: no cap. */
  cap: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Plain keys shorter than this are refused: a short key can be guessed. */
export const MIN_KEY_LENGTH = 16;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Checks one entry; a message that never repeats the key, or undefined when the entry is fine.
 * (Usable as a `jsonList` item check in @fleet/config.)
 */
export function checkApiKeyEntry(entry: unknown, index: number): string | undefined {
  const at = `entry ${index}`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    return `${at} must be an object {"name", "role", "key" or "sha256"}`;
  }
  const e = entry as Record<string, unknown>;
  const unknown = Object.keys(e).filter(
    (k) => !['name', 'role', 'key', 'sha256', 'weight', 'maxRunning'].includes(k),
  );
  if (unknown.length > 0) return `${at} has unknown fields: ${unknown.join(', ')}`;
  if (typeof e.name !== 'string' || !NAME.test(e.name)) {
    return `${at}: "name" must be 1-64 letters, digits, "_", "." or "-"`;
  }
  if (!ROLES.includes(e.role as Role)) return `${at} (${e.name}): "role" must be "admin" or "user"`;
  const hasKey = e.key !== undefined;
  const hasHash = e.sha256 !== undefined;
  if (hasKey === hasHash) return `${at} (${e.name}): give exactly one of "key" or "sha256"`;
  if (hasKey && (typeof e.key !== 'string' || e.key.length < MIN_KEY_LENGTH)) {
    return `${at} (${e.name}): "key" must be a string of at least ${MIN_KEY_LENGTH} characters`;
  }
  if (hasHash && (typeof e.sha256 !== 'string' || !SHA256_HEX.test(e.sha256))) {
    return `${at} (${e.name}): "sha256" must be 64 lowercase hex digits (sha256 of the key)`;
  }
  if (e.weight !== undefined && !(typeof e.weight === 'number' && e.weight > 0 && e.weight <= 1000)) {
    return `${at} (${e.name}): "weight" must be a number above 0 and at most 1000 (default 1)`;
  }
  if (
    e.maxRunning !== undefined &&
    !(typeof e.maxRunning === 'number' && Number.isInteger(e.maxRunning) && e.maxRunning >= 1)
  ) {
    return `${at} (${e.name}): "maxRunning" must be a whole number of at least 1 (or left out: no cap)`;
  }
  return undefined;
}

interface StoredKey {
  principal: Principal;
  hash: Buffer;
  share: KeyShare;
}

/**
 * The configured API keys, as SHA-256 hashes only (a plain key is hashed at load and dropped).
 * `verify` hashes the presented token and compares it with every stored hash in constant time,
 * without stopping at a match, so timing tells nothing about which key (if any) matched.
 */
export class ApiKeyRing {
  private readonly keys: StoredKey[];

  private constructor(keys: StoredKey[]) {
    this.keys = keys;
  }

  /** Throws with every problem (never a key's value) when an entry is malformed or names repeat. */
  static fromEntries(entries: readonly unknown[]): ApiKeyRing {
    const problems = entries
      .map((entry, index) => checkApiKeyEntry(entry, index))
      .filter((p): p is string => p !== undefined);
    const names = new Set<string>();
    const hashes = new Set<string>();
    const keys: StoredKey[] = [];
    if (problems.length === 0) {
      for (const entry of entries as ApiKeyEntry[]) {
        const hex = entry.sha256 ?? sha256Hex(entry.key!);
        if (names.has(entry.name)) problems.push(`name "${entry.name}" is used twice`);
        if (hashes.has(hex)) problems.push(`key of "${entry.name}" is the same as an earlier entry's`);
        names.add(entry.name);
        hashes.add(hex);
        keys.push({
          principal: { name: entry.name, role: entry.role },
          hash: Buffer.from(hex, 'hex'),
          share: { weight: entry.weight ?? 1, cap: entry.maxRunning ?? 0 },
        });
      }
    }
    if (problems.length > 0) throw new Error(`FLEET_API_KEYS: ${problems.join('; ')}`);
    return new ApiKeyRing(keys);
  }

  get size(): number {
    return this.keys.length;
  }

  /** A key's fair share settings by its name (weight 1, no cap for a name not configured). */
  shareOf(name: string): KeyShare {
    return this.keys.find((k) => k.principal.name === name)?.share ?? { weight: 1, cap: 0 };
  }

  names(): string[] {
    return this.keys.map((k) => k.principal.name);
  }

  /** Every key's name and role (never its hash). */
  principals(): Principal[] {
    return this.keys.map((k) => ({ ...k.principal }));
  }

  /** The principal of a presented key, or null. */
  verify(token: string | undefined | null): Principal | null {
    if (typeof token !== 'string' || token.length === 0 || token.length > 1024) return null;
    const presented = createHash('sha256').update(token, 'utf8').digest();
    let found: Principal | null = null;
    for (const key of this.keys) {
      if (timingSafeEqual(presented, key.hash) && found === null) found = key.principal;
    }
    return found;
  }
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

/** May this principal see a batch owned by `owner`? Admin sees all; a user only its own. */
export function canSee(principal: Principal, owner: string | null): boolean {
  return principal.role === 'admin' || (owner !== null && owner === principal.name);
}
