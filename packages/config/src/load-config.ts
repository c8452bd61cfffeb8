import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import convict from 'convict';
import { type CommonConfig, commonSchema } from './common-schema.js';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { type FieldInfo, fieldsOf, hardenConfig, maskUrlCredentials } from './describe-config.js';
import { type RedisSettings, redisModeProblems } from './redis-settings.js';
import './formats.js'; // registers the named formats the schemas use

export type Env = Readonly<Record<string, string | undefined>>;

export interface LoadConfigOptions {
  /** Where env vars are read from. Apps pass nothing (→ `process.env`); tests pass their own. */
  env?: Env;
  /** A JSON config file; overrides `FLEET_CONFIG` in `env`. */
  file?: string;
}

/** The config an app gets back: the common settings plus its own, typed. */
export type FleetConfig<T> = convict.Config<CommonConfig & T>;

type LooseConfig = Pick<convict.Config<Record<string, unknown>>, 'has' | 'get'>;

interface Loaded {
  path: string | undefined;
  values: Record<string, unknown> | undefined;
}

/**
 * Builds the config of an app: the common schema plus `parts`, validated strictly.
 *
 * Precedence, lowest first: schema defaults < the JSON file named by `file` or `FLEET_CONFIG`
 * (keyed by property name: `{"redisUrl": ...}`) < environment variables. An empty env var counts
 * as unset, like an unset `${VAR:-}` in docker compose. Command-line arguments are not read.
 *
 * Throws `ConfigError` listing every problem: bad values, required settings left unset, keys the
 * schema does not know (in the file), and an unreadable file.
 */
export function loadConfig<T extends object>(
  parts: convict.Schema<T>,
  { env = process.env, file }: LoadConfigOptions = {},
): FleetConfig<T> {
  const clash = Object.keys(parts).filter((key) => key in commonSchema);
  if (clash.length > 0) throw new Error(`app schema redefines common settings: ${clash.join(', ')}`);

  // Convict reads env vars when it is built and again in load(). It is built with an empty map so
  // that a mistake in the schema throws here, as itself; values are read in load(), where a throw
  // is turned into a problem (convict's built-in coercions can throw, quoting the value).
  const vars: Record<string, string> = {};
  const schema = { ...commonSchema, ...parts } as convict.Schema<CommonConfig & T>;
  const cfg = convict(schema, { env: vars, args: [] });
  const fields = fieldsOf(cfg);
  assertOneSettingPerEnv(fields);

  for (const [name, value] of Object.entries(env)) if (value) vars[name] = value;
  const problems: ConfigProblem[] = [];
  const loaded = readConfigFile(file ?? vars.FLEET_CONFIG, file === undefined, problems);
  try {
    cfg.load(loaded.values ?? {});
  } catch (error) {
    // Not its message: a JSON.parse or RegExp error quotes the text it choked on.
    const name = error instanceof Error ? error.name : 'error';
    const message = `a value could not be parsed (${name}); settings holding JSON should use jsonList()`;
    throw new ConfigError([...problems, { key: '', env: undefined, message }]);
  }
  try {
    cfg.validate({ allowed: 'strict' });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    problems.push(...problemsFrom(message, fields, vars, loaded, cfg as LooseConfig));
  }
  problems.push(...redisProblems(cfg.getProperties(), vars, loaded));
  if (problems.length > 0) throw new ConfigError(scrub(problems, secretsOf(cfg, fields, vars)));
  return hardenConfig(cfg);
}

/**
 * `loadConfig` for an app's main: on a `ConfigError` prints its message to stderr and exits with
 * code 2 (other errors are bugs and are thrown).
 */
export function loadConfigOrExit<T extends object>(
  parts: convict.Schema<T>,
  options?: LoadConfigOptions,
): FleetConfig<T> {
  try {
    return loadConfig(parts, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}

/** The Redis settings choose exactly one connection mode (DESIGN.md section 7). */
function redisProblems(values: RedisSettings, vars: Env, loaded: Loaded): ConfigProblem[] {
  const urlExplicit = vars.REDIS_URL !== undefined || loaded.values?.redisUrl !== undefined;
  return redisModeProblems(values, urlExplicit);
}

function assertOneSettingPerEnv(fields: Map<string, FieldInfo>): void {
  const seen = new Map<string, string>();
  for (const [key, { env }] of fields) {
    if (!env) continue;
    const other = seen.get(env);
    if (other) throw new Error(`settings ${other} and ${key} both read ${env}`);
    seen.set(env, key);
  }
}

function readConfigFile(path: string | undefined, fromEnv: boolean, problems: ConfigProblem[]): Loaded {
  if (!path) return { path: undefined, values: undefined };
  const full = resolve(path);
  const problem = (message: string) =>
    problems.push({ key: '', env: fromEnv ? 'FLEET_CONFIG' : undefined, message: `${full} ${message}` });
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (error) {
    problem(`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): fix the path or unset it`);
    return { path: full, values: undefined };
  }
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the error, which may be a secret.
    problem('is not valid JSON');
    return { path: full, values: undefined };
  }
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    problem('must hold one JSON object keyed by setting name, e.g. {"logLevel": "debug"}');
    return { path: full, values: undefined };
  }
  return { path: full, values: values as Record<string, unknown> };
}

const REQUIRED = 'is required and has no default';
const UNDECLARED = /^configuration param '(.+)' not declared in the schema$/;
const MISSING = /^configuration param '(.+)' missing from config, did you override its parent\?$/;
const INVALID = /^([^\s:]+): ?(.*?)(?:: value was (.*))?$/;

/** Convict reports all problems in one message, one per line: this turns them back into data. */
function problemsFrom(
  message: string,
  fields: Map<string, FieldInfo>,
  vars: Env,
  loaded: Loaded,
  cfg: LooseConfig,
) {
  const inFile = loaded.path ? ` from ${loaded.path}` : '';
  return message.split('\n').map((line): ConfigProblem => {
    const undeclared = UNDECLARED.exec(line);
    if (undeclared) {
      const key = undeclared[1]!;
      return { key, env: undefined, message: `is not a known setting; remove it${inFile}` };
    }
    const missing = MISSING.exec(line);
    if (missing) {
      const key = missing[1]!;
      return {
        key,
        env: fields.get(key)?.env,
        message: `is missing: something else was set in its place${loaded.path ? ` in ${loaded.path}` : ''}`,
      };
    }
    const invalid = INVALID.exec(line);
    const key = invalid?.[1] ?? '';
    const field = fields.get(key);
    if (!invalid || !field) return { key: '', env: undefined, message: line };
    if (cfg.get(key) === null) return { key, env: field.env, message: REQUIRED };
    const got = invalid[3] === undefined ? '' : `got ${invalid[3]}`;
    const where = field.env && vars[field.env] !== undefined ? '' : fromFile(key, loaded);
    const detail = [got, where].filter(Boolean).join(', ');
    return { key, env: field.env, message: `${invalid[2]!.trim()}${detail ? ` (${detail})` : ''}` };
  });
}

function fromFile(key: string, loaded: Loaded): string {
  let node: unknown = loaded.values;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object' || !(part in node)) return '';
    node = (node as Record<string, unknown>)[part];
  }
  return `set as ${key} in ${loaded.path}`;
}

/** Every sensitive value as the user wrote it (env text) and as loaded, to strip from messages. */
function secretsOf(cfg: LooseConfig, fields: Map<string, FieldInfo>, vars: Env): string[] {
  const secrets: string[] = [];
  for (const [key, field] of fields) {
    if (!field.sensitive) continue;
    const raw = field.env ? vars[field.env] : undefined;
    if (raw) secrets.push(raw);
    const value = cfg.has(key) ? cfg.get(key) : undefined;
    if (typeof value === 'string') secrets.push(value);
  }
  // Longest first, so a secret containing another is masked whole. Very short values are left:
  // masking "a" everywhere would garble the message and protect nothing.
  return secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

function scrub(problems: ConfigProblem[], secrets: string[]): ConfigProblem[] {
  return problems.map((problem) => {
    let message = maskUrlCredentials(problem.message);
    for (const secret of secrets) message = message.split(secret).join('[Sensitive]');
    return { ...problem, message };
  });
}
