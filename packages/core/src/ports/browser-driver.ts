import type { ItemJob, Step } from '@fleet/contracts';
import type { WebDriverEndpoint } from './profile-provider.js';

export interface RunStepsOptions {
  /** Epoch ms by which the whole run must end (the item's deadline for this attempt). */
  deadlineAt: number;
  /** Default per-step timeout; `waitFor` may name its own. */
  stepTimeoutMs: number;
  /** Aborts the run between and during steps (lease lost, cancel, shutdown). */
  signal: AbortSignal;
  /** For artifact names and logs. */
  itemId: string;
  /**
   * False when a retryable failure of this run will be retried (attempts left): no failure
   * evidence is taken for it, nobody would see it. Default true.
   */
  lastAttempt?: boolean;
  /** The batch's files for `upload` steps: artifact ids in the artifact store, never the bytes. */
  files?: ItemJob['files'];
  /**
   * Told the HTTP status of each page a `goto` lands on (the browser's navigation timing; not
   * called when the browser cannot tell): a site answering 429 or 503 slows its own starts down.
   */
  onPageStatus?: (status: number) => void;
}

export interface StepsOutcome {
  /** Extract name → value (string, null, or a list of strings with `all`). */
  data: Record<string, unknown>;
  /** Screenshot name → artifact id. */
  artifacts: Record<string, string>;
  url: string | null;
  title: string | null;
}

/**
 * Drives a started profile's browser through WebDriver. `run` runs the steps on a session on the
 * endpoint (the browser keeps running: stopping it is the provider's job). A driver may keep its
 * session on the endpoint after a run that ended well, for the next run on the same endpoint (a
 * warm profile's next item); `release` says the endpoint's browser is going away (its profile is
 * given back or lost), so the kept session is ended. Endpoints are told apart by identity: each
 * start of a browser yields a new endpoint object. Failures are domain errors carrying the failed step's index in
 * `details[0].step`, its path in `details[0].path` and what the page looked like in
 * `details[0].evidence` (contracts' Evidence: artifact ids, or `omitted`; `artifactId` = its
 * screenshot):
 * - NonRetryableError `STEP_FAILED` / `ASSERTION_FAILED` / `SELECTOR_NOT_FOUND` / `TARGET_BLOCKED`,
 *   and the step failures `STEP_INPUT_INVALID` / `OPTION_NOT_FOUND` / `EXTRACT_INVALID` /
 *   `EVALUATE_FAILED` / `RESULT_TOO_LARGE` (non-retryable: any profile would fail them, so the
 *   lease ends neutral, DESIGN.md section 5);
 * - RetryableError `BROWSER_UNAVAILABLE` (the endpoint did not take a session) / `NAVIGATION_FAILED`;
 * - NonRetryableError `DEADLINE_EXCEEDED` when the deadline passed; `ABORTED` when the signal fired.
 */
export interface BrowserDriver {
  run(endpoint: WebDriverEndpoint, steps: Step[], options: RunStepsOptions): Promise<StepsOutcome>;
  /** The endpoint's browser is going away: end any session kept on it (never throws). */
  release?(endpoint: WebDriverEndpoint): void | Promise<void>;
}
