import type { Json } from './shot.js';

// Cutting into a valid JSON body: every path in it, a value set or dropped at one, raw text
// spliced in where JSON.stringify cannot write it.

export type Path = (string | number)[];

export function allPaths(value: Json, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...allPaths(v, [...prefix, i]));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...allPaths(v, [...prefix, k]));
  }
  return out;
}

const clone = (value: Json): Json => JSON.parse(JSON.stringify(value)) as Json;

export function setAt(root: Json, path: Path, replacement: Json | undefined): Json {
  if (path.length === 0) return replacement === undefined ? null : replacement;
  const copy = clone(root);
  let node = copy as Record<string | number, Json>;
  for (const step of path.slice(0, -1)) node = node[step] as Record<string | number, Json>;
  const last = path[path.length - 1]!;
  if (replacement === undefined) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else node[last] = replacement;
  return copy;
}

export const pathText = (path: Path) =>
  path.length ? path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('') : '(root)';

/** `body` with a raw JSON text at `path` (text JSON.stringify cannot make: 1e999, deep nesting). */
export function withRaw(body: Json, path: Path, raw: string): string {
  const token = '__FAULTS_RAW_TOKEN__';
  return JSON.stringify(setAt(body, path, token)).replace(`"${token}"`, () => raw);
}

export const deepArrays = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
export const deepObjects = (n: number) => `${'{"a":'.repeat(n)}0${'}'.repeat(n)}`;
