import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { scenarioKey, scenarioNameSchema, scenarioVersionSchema } from '@fleet/contracts';
import { z } from 'zod';
import type { ScenarioDefinition } from './define-scenario.js';

/** A loaded scenario: its definition, where it came from, and its input as JSON Schema. */
export interface LoadedScenario {
  /** `name@version`. */
  id: string;
  name: string;
  version: string;
  definition: ScenarioDefinition;
  file: string;
  inputSchema: Record<string, unknown>;
}

/** A module of the scenarios directory that cannot be used; the message names the file. */
export class ScenarioLoadError extends Error {
  override readonly name = 'ScenarioLoadError';
  /** The registry's code (packages/contracts/src/error-codes.ts): the worker exits 2 with it. */
  readonly code = 'SCENARIO_LOAD_FAILED';

  constructor(
    readonly file: string,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(`scenario ${file}: ${message}`, options);
  }
}

const MODULE_EXT = new Set(['.ts', '.mts', '.js', '.mjs']);
const INDEX_FILES = ['index.ts', 'index.mts', 'index.js', 'index.mjs'];

function skipped(entry: string): boolean {
  return (
    entry.startsWith('.') ||
    entry.startsWith('_') ||
    entry === 'node_modules' ||
    /\.(test|spec|d)\.[mc]?[tj]s$/.test(entry)
  );
}

/**
 * The scenario modules of a directory, in name order: each top-level `.ts`/`.js` file, and each
 * folder's `index.ts`/`index.js` (a folder without one is skipped: shared code, fixtures).
 * Names starting with "." or "_", `node_modules` and test files are skipped.
 */
export function scenarioFiles(dir: string): string[] {
  const root = resolve(dir);
  const files: string[] = [];
  for (const entry of readdirSync(root).sort()) {
    if (skipped(entry)) continue;
    const path = join(root, entry);
    const stat = statSync(path);
    if (stat.isDirectory()) {
      const index = INDEX_FILES.map((f) => join(path, f)).find((f) => isFile(f));
      if (index) files.push(index);
    } else if (stat.isFile() && MODULE_EXT.has(extname(entry))) {
      files.push(path);
    }
  }
  return files;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The module's scenario: its default export, or a named `scenario` export. */
export function scenarioOf(exports: Record<string, unknown>, file: string): LoadedScenario {
  const candidate = (exports.default ?? exports.scenario) as Partial<ScenarioDefinition> | undefined;
  if (!candidate || typeof candidate !== 'object') {
    throw new ScenarioLoadError(
      file,
      'exports no scenario: `export default defineScenario({ name, version, input, run })`',
    );
  }
  const problems: string[] = [];
  const name = scenarioNameSchema.safeParse(candidate.name);
  if (!name.success) problems.push(`name: ${name.error.issues[0]?.message}`);
  const version = scenarioVersionSchema.safeParse(candidate.version);
  if (!version.success) problems.push(`version: ${version.error.issues[0]?.message}`);
  if (typeof candidate.run !== 'function') problems.push('run: must be a function run(ctx)');
  let inputSchema: Record<string, unknown> | undefined;
  if (!isZodSchema(candidate.input)) {
    problems.push('input: must be a zod schema (z.object({...}))');
  } else {
    try {
      inputSchema = z.toJSONSchema(candidate.input, { io: 'input', unrepresentable: 'throw' }) as Record<
        string,
        unknown
      >;
      if (inputSchema.type !== 'object') problems.push('input: must be an object schema (z.object({...}))');
    } catch (error) {
      problems.push(`input: has no JSON Schema form (${(error as Error).message})`);
    }
  }
  if (problems.length > 0 || !name.success || !version.success || !inputSchema) {
    throw new ScenarioLoadError(file, `is not a valid scenario: ${problems.join('; ')}`);
  }
  const definition = candidate as ScenarioDefinition;
  return {
    id: scenarioKey({ name: name.data, version: version.data }),
    name: name.data,
    version: version.data,
    definition,
    file,
    inputSchema,
  };
}

/**
 * Loads every scenario module of `dir` (dynamic import: under tsx, TypeScript as it is). Throws a
 * ScenarioLoadError naming the file for a module that does not load, is not a scenario, or
 * repeats another's `name@version`. A missing directory is an error; an empty one loads nothing.
 */
export async function loadScenarios(dir: string): Promise<LoadedScenario[]> {
  let files: string[];
  try {
    files = scenarioFiles(dir);
  } catch (error) {
    throw new ScenarioLoadError(dir, `cannot read the directory (${(error as Error).message})`, {
      cause: error,
    });
  }
  const loaded: LoadedScenario[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    let exports: Record<string, unknown>;
    try {
      exports = (await import(file)) as Record<string, unknown>;
    } catch (error) {
      const first = ((error as Error)?.message ?? String(error)).split('\n')[0];
      throw new ScenarioLoadError(file, `does not load: ${first}`, { cause: error });
    }
    const scenario = scenarioOf(exports, file);
    const other = seen.get(scenario.id);
    if (other) {
      throw new ScenarioLoadError(file, `repeats ${scenario.id}, already loaded from ${basename(other)}`);
    }
    seen.set(scenario.id, file);
    loaded.push(scenario);
  }
  return loaded;
}

/** A zod 4 schema (by shape: a module may resolve its own copy of zod). */
function isZodSchema(value: unknown): value is z.ZodType {
  return (
    typeof value === 'object' &&
    value !== null &&
    '_zod' in value &&
    typeof (value as { safeParse?: unknown }).safeParse === 'function'
  );
}
