import { isHttpUrl, nestedLists, type Step, stepKind } from './steps.js';

const VAR_RE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export type ItemVars = Record<string, string | number | boolean>;

export interface VarProblem {
  /** Path of the string that names the variable, e.g. `steps[0].goto`. */
  field: string;
  message: string;
}

function mapStrings(value: unknown, path: string, fn: (s: string, path: string) => string): unknown {
  if (typeof value === 'string') return fn(value, path);
  if (Array.isArray(value)) return value.map((v, i) => mapStrings(v, `${path}[${i}]`, fn));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, mapStrings(v, path ? `${path}.${k}` : k, fn)]),
    );
  }
  return value;
}

/**
 * Replace `{{var}}` in every string of the steps with the item's variable. Returns the steps and
 * every problem found (a missing variable; a goto that is not http/https once filled in), so a
 * whole batch can be rejected with one list before anything is queued.
 */
export function interpolateSteps(
  steps: Step[],
  vars: ItemVars,
  pathPrefix = 'steps',
): { steps: Step[]; problems: VarProblem[] } {
  const problems: VarProblem[] = [];
  const out = steps.map(
    (step, i) =>
      mapStrings(step, `${pathPrefix}[${i}]`, (s, path) =>
        s.replace(VAR_RE, (whole, name: string) => {
          const value = vars[name];
          if (value === undefined) {
            problems.push({ field: path, message: `variable "${name}" is not set for this item` });
            return whole;
          }
          return String(value);
        }),
      ) as Step,
  );
  checkGotos(out, pathPrefix, problems);
  return { steps: out, problems };
}

/** Every goto, nested ones included, must be http(s) once its variables are filled in. */
function checkGotos(steps: Step[], pathPrefix: string, problems: VarProblem[]): void {
  for (const [i, step] of steps.entries()) {
    const path = `${pathPrefix}[${i}]`;
    if (stepKind(step) === 'goto') {
      const url = (step as { goto: string }).goto;
      VAR_RE.lastIndex = 0;
      if (!VAR_RE.test(url) && !isHttpUrl(url)) {
        problems.push({ field: `${path}.goto`, message: `"${url.slice(0, 200)}" is not an http(s) URL` });
      }
      VAR_RE.lastIndex = 0;
    }
    for (const [field, inner] of nestedLists(step)) checkGotos(inner, `${path}.${field}`, problems);
  }
}

/** Names of the variables the steps use. */
export function varsUsed(steps: Step[]): string[] {
  const names = new Set<string>();
  mapStrings(steps, '', (s) => {
    for (const m of s.matchAll(VAR_RE)) names.add(m[1]!);
    return s;
  });
  return [...names].sort();
}
