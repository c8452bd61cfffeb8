import type { Step } from '@fleet/contracts';
import type {
  ArtifactStore,
  BrowserDriver,
  EvidencePolicy,
  RunStepsOptions,
  StepsOutcome,
  WebDriverEndpoint,
} from '@fleet/core';
import { isFleetError } from '@fleet/core';
import type { TargetGuard } from '@fleet/targets';
import { toDomainError } from './driver-errors.js';
import { pageInfo } from './page-queries.js';
import { Interrupted, type RunLimits } from './run-limits.js';
import { type DriverLogLevel, endSession, inSession, type Session } from './session.js';
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
  /**
   * Keep the session after a run that ended well, for the next run on the same endpoint (until
   * `release`). Default true; false: a new session per run, always ended after it.
   */
  keepSessions?: boolean;
}

/** The session kept on an endpoint between runs (none yet while its first run attaches). */
interface Kept {
  session: Session | undefined;
  /** The step timeout its page-load and script timeouts were set to. */
  stepTimeoutMs: number;
  busy: boolean;
  /** Released while a run had it: ended when that run ends. */
  released: boolean;
}

const NOT_IN_A_STEP = { index: null, kind: null } as const;

/**
 * chromedriver refused the kept session as unknown (restarted, or the session deleted, behind the
 * same port) in the run's first step, a leaf: a refused command did not run, and what that step
 * did before it (a navigation, a lookup) is safe to do again. Not inside a block (step 0 would be
 * the block's, whose earlier iterations may have acted).
 */
function refusedAsUnknownSession(error: unknown, steps: Step[]): boolean {
  if (!isFleetError(error) || error.code !== 'BROWSER_UNAVAILABLE') return false;
  if (!/invalid session id/i.test(error.message)) return false;
  const detail = error.details[0];
  if (detail?.step === null || detail?.step === undefined) return true;
  const first = steps[0];
  return detail.step === 0 && detail.path === 'steps[0]' && first !== undefined && !isBlockStep(first);
}

function isBlockStep(step: Step): boolean {
  return 'then' in step || 'do' in step;
}

/**
 * Drives a running browser through a WebDriver endpoint bound to it (Fleet's launcher or
 * Multilogin); the browser keeps running. A run that ends well leaves its session open for the
 * next run on the same endpoint (a warm profile's next item: no session to open and end, ~35 ms
 * and a WebdriverIO client each); a run that fails, is stopped or times out ends its session, so
 * the next run starts from a new one. `release` ends the session kept on an endpoint.
 */
export class WebdriverioDriver implements BrowserDriver {
  private readonly attachRetryMs: number;
  private readonly logLevel: DriverLogLevel;
  private readonly keepSessions: boolean;
  /** By endpoint identity: a browser's every start gives a new endpoint object. */
  private readonly kept = new Map<WebDriverEndpoint, Kept>();

  constructor(private readonly options: WebdriverioDriverOptions) {
    this.attachRetryMs = options.attachRetryMs ?? 5_000;
    this.logLevel = options.logLevel ?? 'silent';
    this.keepSessions = options.keepSessions ?? true;
  }

  async run(endpoint: WebDriverEndpoint, steps: Step[], options: RunStepsOptions): Promise<StepsOutcome> {
    const settings = { ...options, retryForMs: this.attachRetryMs, logLevel: this.logLevel };
    const entry = this.keepSessions ? this.entryFor(endpoint, options.stepTimeoutMs) : undefined;
    if (!entry) return inSession(endpoint, settings, (s, limits) => this.drive(s, steps, options, limits));
    try {
      if (entry.session) {
        try {
          return await this.runOn(endpoint, entry, steps, options, settings);
        } catch (error) {
          // chromedriver no longer knows the kept session (restarted behind the same port) and
          // refused the run's first command: nothing ran, so the run starts over on a new session.
          if (!refusedAsUnknownSession(error, steps)) throw error;
        }
      }
      return await this.runOn(endpoint, entry, steps, options, settings);
    } finally {
      entry.busy = false;
      if (!entry.session && this.kept.get(endpoint) === entry) this.kept.delete(endpoint);
    }
  }

  /**
   * One run on the entry's kept session (a new one when it has none), kept afterwards only when
   * the run ended well, nobody released the endpoint meanwhile and the run was not stopped: a
   * failed, stopped or timed-out run may have left it mid-command, in a frame or on a dialog, and
   * it was ended.
   */
  private async runOn(
    endpoint: WebDriverEndpoint,
    entry: Kept,
    steps: Step[],
    options: RunStepsOptions,
    settings: Parameters<typeof inSession>[1],
  ): Promise<StepsOutcome> {
    const given = entry.session;
    entry.session = undefined;
    let keep = false;
    return inSession(endpoint, { ...settings, session: given, keep: () => keep }, async (session, limits) => {
      const done = await this.drive(session, steps, options, limits);
      keep = !entry.released && !options.signal.aborted;
      if (keep) entry.session = session;
      return done;
    });
  }

  /**
   * Ends the session kept on `endpoint`: now (resolves once chromedriver answered, or gave up
   * after 2 s), or when the run using it ends.
   */
  async release(endpoint: WebDriverEndpoint): Promise<void> {
    const entry = this.kept.get(endpoint);
    if (!entry) return;
    entry.released = true;
    if (entry.busy) return;
    this.kept.delete(endpoint);
    if (entry.session) await endSession(entry.session);
  }

  /** Endpoints with a session kept or being attached (for tests). */
  get keptSessions(): number {
    return this.kept.size;
  }

  /**
   * The endpoint's entry, marked busy, with its kept session if its timeouts fit this run. None
   * when another run has the endpoint (one run per browser at a time; a second gets a session of
   * its own, ended after it).
   */
  private entryFor(endpoint: WebDriverEndpoint, stepTimeoutMs: number): Kept | undefined {
    let entry = this.kept.get(endpoint);
    if (entry?.busy) return undefined;
    if (entry && entry.stepTimeoutMs !== stepTimeoutMs) {
      // Page-load and script timeouts are set when a session opens: a batch with another step
      // timeout gets a new one.
      this.kept.delete(endpoint);
      if (entry.session) void endSession(entry.session);
      entry = undefined;
    }
    if (!entry) {
      entry = { session: undefined, stepTimeoutMs, busy: false, released: false };
      this.kept.set(endpoint, entry);
    }
    entry.busy = true;
    return entry;
  }

  private async drive(
    session: Session,
    steps: Step[],
    options: RunStepsOptions,
    limits: RunLimits,
  ): Promise<StepsOutcome> {
    const data = new Map<string, unknown>();
    const artifacts = new Map<string, string>();
    // `files` and `onPageStatus` ride along to every StepContext (the runner spreads its context into each step's).
    const context: RunContext & Pick<StepContext, 'files' | 'onPageStatus'> = {
      session,
      limits,
      signal: options.signal,
      stepTimeoutMs: options.stepTimeoutMs,
      itemId: options.itemId,
      store: this.options.artifacts,
      guard: this.options.targetGuard,
      ...(options.files ? { files: options.files } : {}),
      ...(options.onPageStatus ? { onPageStatus: options.onPageStatus } : {}),
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
