import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { FatalError, SEALED_SECRET_PREFIX } from '@fleet/core';

const PREFIX = SEALED_SECRET_PREFIX;

/**
 * Encrypts secrets Fleet must keep in Redis (proxy passwords of profiles and batches) with
 * AES-256-GCM under `FLEET_SECRET_KEY`, so a Redis dump, a replica or `MONITOR` shows no password.
 * Sealed values read `enc:v1:<base64url(iv | tag | ciphertext)>`; values stored before a key was
 * configured stay readable as they are.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('a secret key is 32 bytes');
    this.key = key;
  }

  /** `FLEET_SECRET_KEY`: 64 hex digits or 32 bytes in base64/base64url; null when empty. */
  static fromSetting(text: string): SecretBox | null {
    const value = text.trim();
    if (value === '') return null;
    const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
    if (key.length !== 32) {
      throw new Error(
        'FLEET_SECRET_KEY must be 32 bytes: 64 hex digits or 44 base64 characters (openssl rand -hex 32)',
      );
    }
    return new SecretBox(key);
  }

  static generateKey(): string {
    return randomBytes(32).toString('hex');
  }

  static isSealed(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  open(value: string): string {
    if (!SecretBox.isSealed(value)) return value;
    const raw = Buffer.from(value.slice(PREFIX.length), 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new FatalError(
        'SECRET_KEY_MISMATCH',
        'a stored secret was sealed with another FLEET_SECRET_KEY: give every API and worker the same key',
      );
    }
  }
}

/** A proxy as stored: its password sealed when a box is given. */
export function sealProxy<T extends { password?: string }>(proxy: T, box: SecretBox | null | undefined): T {
  if (!box || proxy.password === undefined) return proxy;
  return { ...proxy, password: box.seal(proxy.password) };
}

/** A stored proxy as used: its password opened. A sealed password without a box is an error. */
export function openProxy<T extends { password?: string }>(proxy: T, box: SecretBox | null | undefined): T {
  if (proxy.password === undefined || !SecretBox.isSealed(proxy.password)) return proxy;
  if (!box) {
    throw new FatalError(
      'SECRET_KEY_MISSING',
      'a stored proxy password is encrypted: set FLEET_SECRET_KEY (the same on every API and worker)',
    );
  }
  return { ...proxy, password: box.open(proxy.password) };
}
