import type { ScenarioView } from '@fleet/contracts';
import { z } from 'zod';
import type { Detail } from './api-error.js';

/** At most this many per-field problems in one 400 (the first ones, in item order). */
const MAX_DETAILS = 100;

/**
 * Checks scenario inputs against the JSON Schema a worker advertised, rebuilt as a zod schema
 * (`z.fromJSONSchema`, the inverse of the `z.toJSONSchema` the worker sent): the API needs no
 * JSON Schema validator of its own, and its 400s have the same `{field, message}` details as every
 * other. The rebuilt schemas are cached by scenario and advertisement. The worker parses each
 * input again with the scenario's own zod schema (defaults, transforms) when it runs the item.
 */
export class ScenarioInputs {
  private readonly cache = new Map<string, z.ZodType>();

  /** `{field: "items[i].<path>", message}` for every problem, or [] when every item fits. */
  problems(scenario: ScenarioView, items: unknown[]): Detail[] {
    const schema = this.schemaOf(scenario);
    const details: Detail[] = [];
    for (const [index, item] of items.entries()) {
      const parsed = schema.safeParse(item);
      if (parsed.success) continue;
      for (const issue of parsed.error.issues) {
        const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
        details.push({ field: `items[${index}]${path}`, message: issue.message });
        if (details.length >= MAX_DETAILS) return details;
      }
    }
    return details;
  }

  private schemaOf(scenario: ScenarioView): z.ZodType {
    const key = `${scenario.id} ${scenario.advertisedAt}`;
    let schema = this.cache.get(key);
    if (!schema) {
      schema = z.fromJSONSchema(scenario.inputSchema as Parameters<typeof z.fromJSONSchema>[0]);
      if (this.cache.size > 200) this.cache.clear();
      this.cache.set(key, schema);
    }
    return schema;
  }
}
