import { inspect } from 'node:util';
import type convict from 'convict';

/** The mark convict's own `toString()` puts in place of a sensitive value; used here too. */
export const SENSITIVE_MARK = '[Sensitive]';

/** What loading needs to know about one setting, read from the schema. */
export interface FieldInfo {
  env: string | undefined;
  sensitive: boolean;
}

interface SchemaNode {
  _cvtProperties?: Record<string, SchemaNode>;
  env?: string;
  sensitive?: boolean;
}

/** Every leaf setting of a config, by dotted path. */
export function fieldsOf(cfg: { getSchema(): unknown }): Map<string, FieldInfo> {
  const fields = new Map<string, FieldInfo>();
  const walk = (node: SchemaNode, prefix: string): void => {
    for (const [name, child] of Object.entries(node._cvtProperties ?? {})) {
      const key = prefix ? `${prefix}.${name}` : name;
      if (child._cvtProperties) walk(child, key);
      else fields.set(key, { env: child.env, sensitive: child.sensitive === true });
    }
  };
  walk(cfg.getSchema() as SchemaNode, '');
  return fields;
}

/**
 * Masks the user-info part of every URL in `text` (`redis://:pw@host` → `redis://[redacted]@host`).
 * The whole user-info goes, not only the password: in `https://<token>@host` the user is the secret.
 * (@fleet/logger's `redactUrl` does the same; config keeps its own copy so it needs no pino.)
 */
export function maskUrlCredentials(text: string): string {
  return text.replace(/(\/\/)[^/?#\s]*@/g, '$1[redacted]@');
}

function maskStrings(value: unknown): unknown {
  if (typeof value === 'string') return maskUrlCredentials(value);
  if (Array.isArray(value)) return value.map(maskStrings);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskStrings(v)]));
  }
  return value;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  const last = parts.pop()!;
  let node = target;
  for (const part of parts) {
    const next = node[part];
    if (next === null || typeof next !== 'object') return;
    node = next as Record<string, unknown>;
  }
  node[last] = value;
}

/**
 * A plain copy of the config that is safe to log: sensitive settings read `[Sensitive]` (as in
 * convict's `toString()`) and credentials inside URLs (a REDIS_URL with a password) are masked.
 */
export function describeConfig<T>(cfg: convict.Config<T>): Record<string, unknown> {
  const plain = maskStrings(cfg.getProperties()) as Record<string, unknown>;
  for (const [key, field] of fieldsOf(cfg)) {
    if (field.sensitive) setPath(plain, key, SENSITIVE_MARK);
  }
  return plain;
}

/**
 * Makes every way of printing the config go through `describeConfig`. Convict's object keeps the raw
 * values in `_instance`, so `JSON.stringify(cfg)` or `console.log(cfg)` would print secrets, and its
 * `toString()` masks `sensitive` settings but not a password inside REDIS_URL.
 */
export function hardenConfig<T>(cfg: convict.Config<T>): convict.Config<T> {
  const describe = () => describeConfig(cfg);
  Object.defineProperties(cfg, {
    toString: { value: () => JSON.stringify(describe(), null, 2) },
    toJSON: { value: describe },
    [inspect.custom]: { value: () => describe() },
  });
  return cfg;
}
