/**
 * A scenario's own verdict on an item: the site or the input is not what the scenario needs (an
 * item out of stock, a login refused, a total that does not add up). The item fails at once,
 * not retried, and the profile is not blamed (like a failed `assertText`). `code` is the author's
 * (upper snake case), kept in the item's error message and details; the item's code is
 * `SCENARIO_FAILED`.
 */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';

  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    if (!/^[A-Z][A-Z0-9_]{0,63}$/.test(code)) {
      throw new TypeError(`a ScenarioError code is 1-64 upper-case letters, digits or "_", not "${code}"`);
    }
  }
}

/** Is it a ScenarioError (by name and code, so a copy of the class from another path counts too)? */
export function isScenarioError(error: unknown): error is ScenarioError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'ScenarioError' &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}
