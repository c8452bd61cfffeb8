import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { apiSchema } from '@fleet/api';
import { commonSchema, type FleetConfig, loadConfig } from '@fleet/config';
import { launcherSchema } from '@fleet/launcher';
import { notifierSchema } from '@fleet/notifier';
import { workerSchema } from '@fleet/worker';
import { parse } from 'yaml';

// Reading the repository's Docker files the way Docker and compose would, far enough for the
// checks in this package (no Docker engine is needed).

export const ROOT = resolve(__dirname, '../../..');
export const at = (...parts: string[]) => join(ROOT, ...parts);
export const read = (...parts: string[]) => readFileSync(at(...parts), 'utf8');

// ---------------------------------------------------------------------------------------------
// The apps and their config schemas.

type Schema = Record<string, unknown>;

export interface AppInfo {
  schema: Schema;
  /** The config property holding the app's HTTP port. */
  portKey: string;
  /** The config property holding its listen address, when it has one (else it listens on 0.0.0.0). */
  hostKey?: string;
  /** What its health probe asks for (up while the process runs). */
  healthPath: string;
  /** What its readiness probe asks for (ready to serve: Redis answers). */
  readyPath: string;
}

// The routes: apps/api/src/routes/health-routes.ts, apps/notifier/src/health-routes.ts,
// apps/worker/src/health-server.ts (each app's tests call them); the launcher has no readiness
// route of its own, its version route answers once it listens.
export const APPS: Record<string, AppInfo> = {
  api: {
    schema: apiSchema,
    portKey: 'apiPort',
    hostKey: 'apiHost',
    healthPath: '/health',
    readyPath: '/ready',
  },
  worker: { schema: workerSchema, portKey: 'workerPort', healthPath: '/health', readyPath: '/ready' },
  notifier: { schema: notifierSchema, portKey: 'notifierPort', healthPath: '/health', readyPath: '/ready' },
  launcher: {
    schema: launcherSchema,
    portKey: 'launcherPort',
    hostKey: 'launcherHost',
    healthPath: '/api/v1/version',
    readyPath: '/api/v1/version',
  },
};

/** Every env variable a schema reads (nested settings included); `sensitiveOnly`: of secrets only. */
export function envNames(schema: Schema, sensitiveOnly = false): string[] {
  const names: string[] = [];
  const walk = (node: unknown) => {
    if (node === null || typeof node !== 'object') return;
    const setting = node as { env?: unknown; default?: unknown; sensitive?: unknown };
    if ('default' in setting) {
      if (typeof setting.env === 'string' && (!sensitiveOnly || setting.sensitive === true))
        names.push(setting.env);
      return;
    }
    for (const child of Object.values(node)) walk(child);
  };
  walk(schema);
  return names;
}

/** The env names an app accepts: its own settings plus the common ones (REDIS_URL, ...). */
export function appEnvNames(app: string): Set<string> {
  const info = APPS[app];
  if (!info) throw new Error(`unknown app ${app}`);
  return new Set([...envNames(commonSchema as Schema), ...envNames(info.schema)]);
}

/** The env names of an app's settings marked sensitive (passwords, keys), common ones included. */
export function appSensitiveEnvNames(app: string): Set<string> {
  const info = APPS[app];
  if (!info) throw new Error(`unknown app ${app}`);
  return new Set([...envNames(commonSchema as Schema, true), ...envNames(info.schema, true)]);
}

/** The app's config as it would load from `env` (throws the app's own ConfigError if invalid). */
export function appConfig(app: string, env: Record<string, string>): FleetConfig<Record<string, unknown>> {
  const info = APPS[app];
  if (!info) throw new Error(`unknown app ${app}`);
  return loadConfig(info.schema as never, { env }) as FleetConfig<Record<string, unknown>>;
}

// ---------------------------------------------------------------------------------------------
// docker/entry.sh

export interface EntryScript {
  /** The app names its `case` accepts. */
  apps: string[];
  /** The command it execs for an app (run in apps/<app>). */
  command: string;
}

export function readEntryScript(): EntryScript {
  const text = read('docker/entry.sh');
  const branch = text.match(/^\s*([a-z]+(?:\s*\|\s*[a-z]+)*)\)\s*$/m);
  const command = text.match(/^\s*exec (node [^\n]+)$/m);
  if (!branch?.[1] || !command?.[1])
    throw new Error('docker/entry.sh: no app branch or exec node line found');
  return { apps: branch[1].split('|').map((s) => s.trim()), command: command[1].trim() };
}

export function startScript(app: string): string | undefined {
  const manifest = at('apps', app, 'package.json');
  if (!existsSync(manifest)) return undefined;
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { scripts?: Record<string, string> };
  return pkg.scripts?.start;
}

// ---------------------------------------------------------------------------------------------
// docker-compose.yml

export interface ComposeService {
  build?: { context?: string; target?: string } | string;
  image?: string;
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: Array<string | number | { target: number; published?: string | number }>;
  volumes?: Array<string | { type?: string; source?: string; target: string; read_only?: boolean }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  restart?: string;
  container_name?: string;
  network_mode?: string;
  stop_grace_period?: string;
  deploy?: { replicas?: number };
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** docker-compose.yml as compose sees it before interpolation (anchors and `<<` merged). */
export function readCompose(text = read('docker-compose.yml')): ComposeFile {
  return parse(text, { merge: true }) as ComposeFile;
}

/**
 * Compose's variable interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?message}`, `${VAR?message}`, `$$`. A required variable that is unset throws, as compose
 * refuses to start. Nested defaults are not supported (none are used).
 */
export function interpolate(value: string, vars: Record<string, string | undefined>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, braced: string | undefined, op: string | undefined, arg: string | undefined, bare) => {
      if (whole === '$$') return '$';
      const name = (braced ?? bare) as string;
      const current = vars[name];
      const unset = op?.startsWith(':') ? !current : current === undefined;
      if (!op || !unset) return current ?? '';
      if (op.endsWith('?')) throw new Error(`required variable ${name} is not set: ${arg}`);
      return arg ?? '';
    },
  );
}

/** A service's environment after interpolation, as plain strings. */
export function serviceEnv(
  service: ComposeService,
  vars: Record<string, string | undefined>,
): Record<string, string> {
  const raw = service.environment ?? {};
  const entries: Array<[string, string]> = Array.isArray(raw)
    ? raw.map((line) => {
        const eq = line.indexOf('=');
        return eq < 0 ? [line, vars[line] ?? ''] : [line.slice(0, eq), line.slice(eq + 1)];
      })
    : Object.entries(raw).map(([key, value]) => [key, value === null ? (vars[key] ?? '') : String(value)]);
  return Object.fromEntries(entries.map(([key, value]) => [key, interpolate(value, vars)]));
}

/** The app a service runs: the first word of its command, when that is an entry.sh app. */
export function appOf(service: ComposeService): string | undefined {
  const command = typeof service.command === 'string' ? service.command.split(/\s+/) : service.command;
  return command?.[0];
}

export interface PortMapping {
  host: number | undefined;
  container: number;
}

/** Short (`[ip:][host:]container[/proto]`) and long port syntax. */
export function portMappings(service: ComposeService): PortMapping[] {
  return (service.ports ?? []).map((entry) => {
    if (typeof entry === 'object') {
      return {
        host: entry.published === undefined ? undefined : Number(entry.published),
        container: entry.target,
      };
    }
    const parts = String(entry)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    const container = Number(parts.at(-1));
    const host = parts.length >= 2 ? Number(parts.at(-2)) : undefined;
    return { host: host === undefined || Number.isNaN(host) ? undefined : host, container };
  });
}

export function healthcheckWords(service: ComposeService): string[] {
  const test = service.healthcheck?.test;
  if (test === undefined) return [];
  return typeof test === 'string' ? ['CMD-SHELL', test] : test;
}

/** `[source:]target[:mode]` and long volume syntax. */
export function volumeMounts(service: ComposeService): Array<{ source: string | undefined; target: string }> {
  return (service.volumes ?? []).map((entry) => {
    if (typeof entry === 'object') return { source: entry.source, target: entry.target };
    const parts = entry.split(':');
    return parts.length === 1
      ? { source: undefined, target: parts[0] as string }
      : { source: parts[0], target: parts[1] as string };
  });
}

export function dependsOn(service: ComposeService): Record<string, string | undefined> {
  const raw = service.depends_on ?? [];
  if (Array.isArray(raw)) return Object.fromEntries(raw.map((name) => [name, undefined]));
  return Object.fromEntries(Object.entries(raw).map(([name, spec]) => [name, spec?.condition]));
}

/** Compose durations: `40s`, `1m30s`, `1500ms`, `1h`. */
export function durationMs(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001 };
  let total = 0;
  let rest = text.trim();
  while (rest.length > 0) {
    const match = rest.match(/^(\d+(?:\.\d+)?)(ms|us|h|m|s)/);
    if (!match) throw new Error(`not a compose duration: ${text}`);
    total += Number(match[1]) * (units[match[2] as string] as number);
    rest = rest.slice(match[0].length);
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Dockerfile

export interface Instruction {
  keyword: string;
  /** The rest of the instruction, continuation lines joined. */
  args: string;
}

export interface Stage {
  name: string | undefined;
  /** The image or earlier stage it starts FROM. */
  from: string;
  instructions: Instruction[];
}

/** Instructions grouped by stage: comments dropped, `\` continuations joined (as Docker does). */
export function parseDockerfile(text = read('Dockerfile')): Stage[] {
  const stages: Stage[] = [];
  let pending = '';
  const flush = (line: string) => {
    const match = line.trim().match(/^([A-Za-z]+)\s+([\s\S]*)$/);
    if (!match) return;
    const keyword = (match[1] as string).toUpperCase();
    const args = (match[2] as string).trim();
    if (keyword === 'FROM') {
      const from = args.match(/^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i);
      if (!from) throw new Error(`Dockerfile: cannot read FROM ${args}`);
      stages.push({ name: from[2], from: from[1] as string, instructions: [] });
      return;
    }
    const stage = stages.at(-1);
    if (stage) stage.instructions.push({ keyword, args });
  };
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw)) continue; // comments, parser directives; also inside continuations
    if (raw.trimEnd().endsWith('\\')) {
      pending += `${raw.trimEnd().slice(0, -1)} `;
      continue;
    }
    flush(pending + raw);
    pending = '';
  }
  if (pending) flush(pending);
  return stages;
}

/** A target and the stages it is built on (FROM chain), the target first. */
export function stageChain(stages: Stage[], target: string): Stage[] {
  const chain: Stage[] = [];
  let name: string | undefined = target;
  while (name !== undefined) {
    const stage = stages.find((s) => s.name === name);
    if (!stage || chain.includes(stage)) break;
    chain.push(stage);
    name = stage.from;
  }
  return chain;
}

/** Packages `apt-get install`ed by RUN instructions of these stages. */
export function aptPackages(chain: Stage[]): Set<string> {
  const packages = new Set<string>();
  for (const stage of chain) {
    for (const { keyword, args } of stage.instructions) {
      if (keyword !== 'RUN') continue;
      for (const command of args.split(/&&|;|\|\|/)) {
        const words = command.trim().split(/\s+/);
        const at = words.indexOf('install');
        if (!/^(apt-get|apt)$/.test(words[0] ?? '') || at < 0) continue;
        for (const word of words.slice(at + 1)) if (!word.startsWith('-')) packages.add(word);
      }
    }
  }
  return packages;
}

/** The last value of an instruction along the chain (USER, ENTRYPOINT, CMD, HEALTHCHECK...). */
export function effective(chain: Stage[], keyword: string): string | undefined {
  for (const stage of chain) {
    const found = stage.instructions.filter((i) => i.keyword === keyword).at(-1);
    if (found) return found.args;
  }
  return undefined;
}
