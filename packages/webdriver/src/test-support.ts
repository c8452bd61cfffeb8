import { type FleetError, isFleetError, type RunStepsOptions } from '@fleet/core';

// Helpers shared by this package's tests (no test runs from this file).

/** Run options with room to spare: this 2-core machine runs other Chromium suites beside these. */
export function runOptions(itemId: string, overrides: Partial<RunStepsOptions> = {}): RunStepsOptions {
  return {
    deadlineAt: Date.now() + 20_000,
    stepTimeoutMs: 5_000,
    signal: new AbortController().signal,
    itemId,
    ...overrides,
  };
}

/** The domain error a run failed with (and a test failure if it did not fail). */
export async function failure(run: Promise<unknown>): Promise<FleetError> {
  try {
    await run;
  } catch (error) {
    if (isFleetError(error)) return error;
    throw error;
  }
  throw new Error('expected the run to fail');
}
