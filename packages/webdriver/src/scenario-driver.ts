import { scenarioKey } from '@fleet/contracts';
import {
  type ArtifactStore,
  type EvidencePolicy,
  type FleetError,
  type LoggerPort,
  NonRetryableError,
  RetryableError,
  type RunStepsOptions,
  type ScenarioCall,
  type ScenarioRunner,
  type StepsOutcome,
  type WebDriverEndpoint,
} from '@fleet/core';
import { isScenarioError, type LoadedScenario } from '@fleet/scenario';
import type { TargetGuard } from '@fleet/targets';
import { toDomainError, truncate } from './driver-errors.js';
import { attachEvidence } from './evidence.js';
import { topLevelPageInfo } from './page-queries.js';
import { Interrupted, type RunLimits } from './run-limits.js';
import { boundedJson, scenarioContext } from './scenario-context.js';
import { type DriverLogLevel, inSession, type Session } from './session.js';

/** An item's data, as JSON, is at most this large (as for steps). */
export const MAX_DATA_BYTES = 1024 * 1024;
const NOT_IN_A_STEP = { index: null, kind: null } as const;

export interface ScenarioDriverOptions {
  /** The scenarios this worker loaded (SCENARIOS_DIR). */
  scenarios: LoadedScenario[];
  /** Where `ctx.screenshot`, `ctx.artifact` and failure evidence go. */
  artifacts: ArtifactStore;
  /** Full failure evidence only for the first few failures of a kind per batch; none: always. */
  evidencePolicy?: EvidencePolicy;
  /** Checks `ctx.goto` (and where it lands), as for `goto` steps. */
  targetGuard?: TargetGuard;
  logger?: LoggerPort;
  attachRetryMs?: number;
  logLevel?: DriverLogLevel;
}

/**
 * Runs a code scenario like the steps driver runs steps (WebdriverioDriver): a new WebDriver
 * session on the profile's endpoint, the item's deadline and signal over everything (RunLimits:
 * `run` is raced against them, so a scenario that ignores `ctx.signal` is still cut off), and the
 * session always ended; the browser keeps running. Failures go through the same policy
 * (toDomainError); the scenario's own verdict (ScenarioError, `ctx.fail`) is SCENARIO_FAILED and a
 * thrown AssertionError is ASSERTION_FAILED, both non-retryable and neutral for the profile.
 */
export class ScenarioDriver implements ScenarioRunner {
  private readonly byId: Map<string, LoadedScenario>;

  constructor(private readonly options: ScenarioDriverOptions) {
    this.byId = new Map(options.scenarios.map((s) => [s.id, s]));
  }

  has(scenario: { name: string; version: string }): boolean {
    return this.byId.has(scenarioKey(scenario));
  }

  async run(
    endpoint: WebDriverEndpoint,
    call: ScenarioCall,
    options: RunStepsOptions,
  ): Promise<StepsOutcome> {
    const loaded = this.byId.get(scenarioKey(call.scenario));
    if (!loaded) {
      throw new RetryableError(
        'SCENARIO_UNAVAILABLE',
        `this worker has no scenario ${scenarioKey(call.scenario)}`,
      );
    }
    const input = loaded.definition.input.safeParse(call.input);
    if (!input.success) {
      const first = input.error.issues[0];
      throw new NonRetryableError(
        'SCENARIO_INPUT_INVALID',
        `the input does not match ${loaded.id}: ${first?.path.join('.') || 'input'}: ${first?.message}`,
      );
    }
    const session = {
      retryForMs: this.options.attachRetryMs ?? 5_000,
      logLevel: this.options.logLevel ?? 'silent',
    };
    return inSession(endpoint, { ...options, ...session }, (s, limits) =>
      this.drive(s, loaded, input.data, call, options, limits),
    );
  }

  private async drive(
    session: Session,
    loaded: LoadedScenario,
    input: unknown,
    call: ScenarioCall,
    options: RunStepsOptions,
    limits: RunLimits,
  ): Promise<StepsOutcome> {
    const artifacts = new Map<string, string>();
    const ctx = scenarioContext({
      session,
      limits,
      stepTimeoutMs: options.stepTimeoutMs,
      itemId: options.itemId,
      attempt: call.attempt,
      scenarioId: loaded.id,
      input,
      resumed: call.resumed
        ? {
            name: call.resumed.name,
            value: call.resumed.value,
            attempt: call.resumed.attempt,
            at: call.resumed.at,
          }
        : null,
      store: this.options.artifacts,
      guard: this.options.targetGuard,
      logger: this.options.logger,
      artifacts,
      checkpoint: call.checkpoint,
    });
    let returned: unknown;
    try {
      // Raced against the deadline and the signal (no per-call timeout: the item's is the bound).
      returned = await limits.race(Math.max(0, options.deadlineAt - Date.now()) + 1_000, () =>
        loaded.definition.run(ctx as never),
      );
    } catch (error) {
      // The failed page's evidence (screenshot, HTML, console, URL), as for a failed step.
      const failure = scenarioFailure(error);
      await attachEvidence(failure, {
        session,
        signal: options.signal,
        itemId: options.itemId,
        store: this.options.artifacts,
        evidence: { policy: this.options.evidencePolicy, lastAttempt: options.lastAttempt ?? true },
      });
      throw failure;
    }
    const data = checkedData(returned, loaded.id);
    let page: { url: string | null; title: string | null } = { url: null, title: null };
    try {
      page = await limits.race(options.stepTimeoutMs, () => topLevelPageInfo(session));
    } catch (error) {
      if (error instanceof Interrupted && error.reason !== 'timeout')
        throw toDomainError(error, NOT_IN_A_STEP);
    }
    return { data, artifacts: Object.fromEntries(artifacts), ...page };
  }
}

/** `run`'s answer as the item's data: a plain JSON object of at most 1 MiB. */
function checkedData(value: unknown, id: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new NonRetryableError(
      'RESULT_TOO_LARGE',
      `${id} must return an object (the item's data), or nothing`,
    );
  }
  const json = boundedJson(
    value,
    MAX_DATA_BYTES,
    (why) => new NonRetryableError('RESULT_TOO_LARGE', `${id} returned data that ${why}`),
  );
  // Parsed back: plain data only (no class instances, undefined dropped), own keys only.
  return JSON.parse(json) as Record<string, unknown>;
}

/** node:assert's (or chai's) AssertionError, by name or code (it may come from another realm). */
function isAssertionError(error: unknown): error is Error {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return name === 'AssertionError' || code === 'ERR_ASSERTION';
}

/** Whatever `run` threw → a domain error, by the steps' policy. */
export function scenarioFailure(error: unknown): FleetError {
  if (isScenarioError(error)) {
    return new NonRetryableError('SCENARIO_FAILED', truncate(`${error.code}: ${error.message}`, 1000), {
      cause: error,
      details: [
        { step: null, kind: null, code: error.code, message: truncate(error.message, 500), ...error.details },
      ],
    });
  }
  if (isAssertionError(error)) {
    return new NonRetryableError('ASSERTION_FAILED', truncate(error.message, 1000), {
      cause: error,
      details: [{ step: null, kind: null, message: truncate(error.message, 500) }],
    });
  }
  // Interrupted (deadline, abort), a domain error of a ctx helper (TARGET_BLOCKED, SELECTOR_NOT_FOUND,
  // CHECKPOINT_INVALID…), a WebDriver or network error: as for steps.
  return toDomainError(error, NOT_IN_A_STEP);
}
