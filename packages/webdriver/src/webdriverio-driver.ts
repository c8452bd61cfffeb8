import type { Step } from '@fleet/contracts';
import type {
  ArtifactStore,
  BrowserDriver,
  EvidencePolicy,
  RunStepsOptions,
  StepsOutcome,
  WebDriverEndpoint,
} from '@fleet/core';
import type { TargetGuard } from '@fleet/targets';
import { toDomainError } from './driver-errors.js';
import { pageInfo } from './page-queries.js';
import { Interrupted, type RunLimits } from './run-limits.js';
import { type DriverLogLevel, inSession, type Session } from './session.js';
import type { StepContext } from './step-actions.js';
import { type RunContext, runSteps } from './step-runner.js';

export interface WebdriverioDriverOptions {
  /** Where `screenshot` steps and failure evidence go. */
  artifacts: ArtifactStore;
  /** Full failure evidence only for the first few failures of a kind per batch; none: always. */
  evidencePolicy?: EvidencePolicy;
  /** Asked before every `goto` and for the URL it ended at; none = every http(s) URL is allowed. */
  targetGuard?: TargetGuard;
  /** How long a refused attach is retried (a just-started port may not take a session yet). Default 5000. */
  attachRetryMs?: number;
  /** WebdriverIO's own logging. Default `silent`: failures come back as domain errors instead. */
  logLevel?: DriverLogLevel;
}

const NOT_IN_A_STEP = { index: null, kind: null } as const;

/**
 * Drives a running browser through a WebDriver endpoint bound to it (Fleet's launcher or
 * Multilogin): one new session per `run`, always ended afterwards; the browser keeps running.
 */
export class WebdriverioDriver implements BrowserDriver {
  private readonly attachRetryMs: number;
  private readonly logLevel: DriverLogLevel;

  constructor(private readonly options: WebdriverioDriverOptions) {
    this.attachRetryMs = options.attachRetryMs ?? 5_000;
    this.logLevel = options.logLevel ?? 'silent';
  }

  async run(endpoint: WebDriverEndpoint, steps: Step[], options: RunStepsOptions): Promise<StepsOutcome> {
    const session = { retryForMs: this.attachRetryMs, logLevel: this.logLevel };
    return inSession(endpoint, { ...options, ...session }, (s, limits) =>
      this.drive(s, steps, options, limits),
    );
  }

  private async drive(
    session: Session,
    steps: Step[],
    options: RunStepsOptions,
    limits: RunLimits,
  ): Promise<StepsOutcome> {
    const data = new Map<string, unknown>();
    const artifacts = new Map<string, string>();
    // `files` rides along to every StepContext (the runner spreads its context into each step's).
    const context: RunContext & Pick<StepContext, 'files'> = {
      session,
      limits,
      signal: options.signal,
      stepTimeoutMs: options.stepTimeoutMs,
      itemId: options.itemId,
      store: this.options.artifacts,
      guard: this.options.targetGuard,
      ...(options.files ? { files: options.files } : {}),
      data,
      artifacts,
      evidence: { policy: this.options.evidencePolicy, lastAttempt: options.lastAttempt ?? true },
    };
    await runSteps(steps, context);
    const page = await this.finalPage(session, limits, options.stepTimeoutMs);
    // fromEntries defines own properties, so even a "__proto__" key stays plain data.
    return { data: Object.fromEntries(data), artifacts: Object.fromEntries(artifacts), ...page };
  }

  /** URL and title at the end. Unreadable (session just lost) → nulls: the steps' results stand. */
  private async finalPage(
    session: Session,
    limits: RunLimits,
    timeoutMs: number,
  ): Promise<{ url: string | null; title: string | null }> {
    try {
      return await limits.race(timeoutMs, () => pageInfo(session));
    } catch (error) {
      // An abort or a passed deadline still wins: the caller may no longer own the profile.
      if (error instanceof Interrupted && error.reason !== 'timeout')
        throw toDomainError(error, NOT_IN_A_STEP);
      return { url: null, title: null };
    }
  }
}
