/**
 * Every code the code base creates is in the registry (packages/contracts/src/error-codes.ts), and
 * every code the registry lists is created somewhere. The source of apps/ and packages/ is read as
 * text, at the places codes are made: ApiError, FleetError subclasses and their `super(...)`, the
 * webdriver's `build(kind, code, …)` and its code union, the notifier's ConnectError and Refusal,
 * error bodies (`code: '…'`, `errorBody('…')`) and exported code constants of errors files.
 * The launcher is left out: it answers Multilogin X's own codes (packages/multilogin/README.md).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ERRORS, isErrorCode } from '@fleet/contracts';
import { REPO_ROOT } from '@fleet/testing';

const CODE = "'([A-Z][A-Z0-9_]*)'";
const PLACES: { name: string; pattern: RegExp; files?: RegExp }[] = [
  {
    name: 'new ApiError / FleetError subclass / ConnectError / Refusal',
    pattern: new RegExp(
      `new (?:ApiError|RetryableError|NonRetryableError|ProfileFaultError|FatalError|ConnectError|Refusal)\\(\\s*${CODE}`,
      'g',
    ),
  },
  { name: "FleetError subclass's super(code)", pattern: new RegExp(`super\\(\\s*${CODE}`, 'g') },
  {
    name: "the webdriver's build(kind, code)",
    pattern: new RegExp(`build\\(\\s*'[a-z-]+',\\s*${CODE}`, 'g'),
  },
  {
    name: "an error body's or error's code: / code =",
    pattern: new RegExp(`\\bcode(?::| =)\\s*${CODE}`, 'g'),
  },
  { name: 'errorBody(code)', pattern: new RegExp(`errorBody\\(\\s*${CODE}`, 'g') },
  { name: 'a union of codes', pattern: /type \w*Code =((?:\s*\|\s*'[A-Z][A-Z0-9_]*')+)/g },
  {
    name: 'an exported code constant of an errors file',
    pattern: new RegExp(`export const \\w+ = ${CODE}`, 'g'),
    files: /errors\.ts$/,
  },
];

/** Node's own error codes (`ENOTFOUND`, `ERR_…`), which the DNS guard and its test lookup mimic: not ours. */
const NODE_CODE = /^(E[A-Z0-9]+|ERR_[A-Z0-9_]+)$/;

const SKIP_DIRS = new Set(['node_modules', 'dist', 'test', 'coverage']);

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!SKIP_DIRS.has(name)) out.push(...sources(path));
    } else if (/\.ts$/.test(name) && !/\.test\.ts$/.test(name)) {
      out.push(path);
    }
  }
  return out;
}

function sourceFiles(): string[] {
  const files: string[] = [];
  for (const top of ['apps', 'packages']) {
    for (const project of readdirSync(join(REPO_ROOT, top))) {
      if (top === 'apps' && project === 'launcher') continue;
      for (const sub of ['src', 'bench']) {
        const dir = join(REPO_ROOT, top, project, sub);
        if (statSync(dir, { throwIfNoEntry: false })?.isDirectory()) files.push(...sources(dir));
      }
    }
  }
  return files;
}

const REGISTRY = join(REPO_ROOT, 'packages/contracts/src/error-codes.ts');
const files = sourceFiles().filter((file) => file !== REGISTRY);
const texts = new Map(files.map((file) => [relative(REPO_ROOT, file), readFileSync(file, 'utf8')]));

/** Every code created at the places above: code → where ("file (place)"). */
function createdCodes(): { byPlace: Map<string, number>; codes: Map<string, string[]> } {
  const byPlace = new Map<string, number>();
  const codes = new Map<string, string[]>();
  for (const [file, text] of texts) {
    for (const place of PLACES) {
      if (place.files && !place.files.test(file)) continue;
      for (const match of text.matchAll(place.pattern)) {
        const found =
          place.name === 'a union of codes'
            ? [...match[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!)
            : [match[1]!];
        for (const code of found.filter((c) => !NODE_CODE.test(c))) {
          byPlace.set(place.name, (byPlace.get(place.name) ?? 0) + 1);
          codes.set(code, [...(codes.get(code) ?? []), `${file} (${place.name})`]);
        }
      }
    }
  }
  return { byPlace, codes };
}

describe('error codes in the source', () => {
  const { byPlace, codes } = createdCodes();

  it('reads the places codes are made (each kind of place finds some)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(PLACES.filter((place) => !byPlace.get(place.name)).map((p) => p.name)).toEqual([]);
    expect(codes.size).toBeGreaterThan(40);
  });

  it('registers every code that is thrown, answered or recorded', () => {
    const unregistered = [...codes]
      .filter(([code]) => !isErrorCode(code))
      .map(([code, where]) => `${code}: ${where.join(', ')}`);
    expect(unregistered).toEqual([]);
  });

  it('registers no code that nothing uses', () => {
    const everything = [...texts.values()].join('\n');
    const unused = Object.keys(ERRORS).filter((code) => !everything.includes(`'${code}'`));
    expect(unused).toEqual([]);
  });
});
