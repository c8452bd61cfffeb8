import type { Checkpoint, ScenarioRef } from '@fleet/contracts';
import type { RunStepsOptions, StepsOutcome } from './browser-driver.js';
import type { WebDriverEndpoint } from './profile-provider.js';

/** One attempt of a scenario item, as the ItemRunner hands it over. */
export interface ScenarioCall {
  scenario: ScenarioRef;
  input: Record<string, unknown>;
  /** 1 for the first attempt. */
  attempt: number;
  /** The item's last checkpoint from an earlier attempt, or null. */
  resumed: Checkpoint | null;
  /** Writes the item's checkpoint under this attempt's claim; rejects when refused (the attempt must stop). */
  checkpoint(name: string, value: unknown): Promise<void>;
}

/**
 * Runs operator-deployed code scenarios on a started profile's browser (a new WebDriver session,
 * always ended after; the browser keeps running), under the same deadline, signal and error
 * policy as steps: failures are domain errors (see BrowserDriver).
 */
export interface ScenarioRunner {
  /** Whether this worker loaded that `name@version`. */
  has(scenario: ScenarioRef): boolean;
  run(endpoint: WebDriverEndpoint, call: ScenarioCall, options: RunStepsOptions): Promise<StepsOutcome>;
}
