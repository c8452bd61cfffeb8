import { z } from 'zod';
import { STEP_KINDS } from './steps.js';

/** The one error shape every HTTP answer and CLI message uses. */
export const errorBodySchema = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string(),
    details: z.array(z.record(z.string(), z.unknown())),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** `['items', 1, 'steps', 0, 'goto']` → `items[1].steps[0].goto`, as the API spells fields. */
export function fieldName(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
}

const STEP_LISTS = new Set<PropertyKey>(['steps', 'then', 'else', 'do']);

function issueDetails(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[],
): { field: string; message: string }[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union') {
      // An object that fails every option of a union of keyed objects (a step, a condition): the
      // option that knows all its keys is the one the author meant; show only its problems.
      const meant = issue.errors.filter(
        (branch) => !branch.some((i) => i.code === 'unrecognized_keys' && i.path.length === 0),
      );
      if (meant.length === 1) return issueDetails(meant[0]!, path);
      if (typeof path.at(-1) === 'number' && STEP_LISTS.has(path.at(-2)!)) {
        return [
          {
            field: fieldName(path),
            message: `a step is an object with exactly one of: ${STEP_KINDS.join(', ')}`,
          },
        ];
      }
    }
    if (issue.code === 'invalid_key' && issue.issues.length > 0) {
      return [{ field: fieldName(path), message: issue.issues[0]!.message }];
    }
    return [{ field: fieldName(path), message: issue.message }];
  });
}

/**
 * zod issues → `details` entries `{field, message}`. A step that matches no kind reports the
 * problems of the kind its key names (or the list of kinds), not every kind's mismatch.
 */
export function zodDetails(error: z.ZodError): { field: string; message: string }[] {
  return issueDetails(error.issues, []);
}
