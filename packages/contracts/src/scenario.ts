import { z } from 'zod';

/**
 * Code scenarios (DESIGN.md section 9, issue 15 section 2): TypeScript modules an operator deploys
 * with the workers (`SCENARIOS_DIR`), named `name@version`. Workers advertise what they loaded,
 * with the input's JSON Schema; a batch names one instead of `steps`.
 */

/** A scenario's name: letters, digits, "_" and "-" (no "@", "." or ":": it goes into queue names). */
export const scenarioNameSchema = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9_-]{0,63}$/,
    'a scenario name: 1-64 letters, digits, "_" or "-", starting with a letter',
  );

/** A version: 1 to 3 dot-separated numbers ("1", "2.1", "1.0.3"), compared number by number. */
export const scenarioVersionSchema = z
  .string()
  .regex(/^\d{1,6}(\.\d{1,6}){0,2}$/, 'a scenario version: 1-3 dot-separated numbers such as "1" or "1.2.0"');

export const scenarioRefSchema = z.strictObject({
  name: scenarioNameSchema,
  version: scenarioVersionSchema,
});
export type ScenarioRef = z.infer<typeof scenarioRefSchema>;

/** A batch's `scenario`: `"name"` (the latest version advertised) or `"name@version"`. */
export const scenarioSpecSchema = z
  .string()
  .max(100)
  .regex(
    /^[A-Za-z][A-Za-z0-9_-]{0,63}(@\d{1,6}(\.\d{1,6}){0,2})?$/,
    'a scenario: "name" or "name@version" (e.g. "demo-shop-checkout@1")',
  );

/** One item's input to a scenario: a JSON object, checked against the scenario's input schema. */
export const scenarioInputSchema = z.record(z.string(), z.unknown());

/** `name@version`: how a scenario is named in queues, Redis and answers. */
export function scenarioKey(ref: ScenarioRef): string {
  return `${ref.name}@${ref.version}`;
}

/** `"name"` or `"name@version"` → its parts (no version: undefined). */
export function parseScenarioSpec(spec: string): { name: string; version?: string } {
  const at = spec.indexOf('@');
  return at < 0 ? { name: spec } : { name: spec.slice(0, at), version: spec.slice(at + 1) };
}

/** Versions compared number by number ("1.10" > "1.9"; "1" = "1.0"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** `GET /v1/scenarios`: what workers advertise, and how many of them are alive now. */
export const scenarioViewSchema = z.strictObject({
  name: z.string(),
  version: z.string(),
  /** `name@version`. */
  id: z.string(),
  /** JSON Schema (draft 2020-12) of one item's input, as the scenario's zod schema gives it. */
  inputSchema: z.record(z.string(), z.unknown()),
  /** Workers that loaded it and sent a heartbeat within the TTL. */
  workers: z.number().int().min(0),
  /** Last time a worker advertised it. */
  advertisedAt: z.string(),
});
export type ScenarioView = z.infer<typeof scenarioViewSchema>;

export const scenarioListSchema = z.strictObject({ scenarios: z.array(scenarioViewSchema) });

/** Why a batch's items are not being taken: no live worker has its scenario. */
export const waitingForSchema = z.strictObject({
  scenario: z.string(),
  workers: z.number().int().min(0),
});
