import { type Step, stepKind } from '@fleet/contracts';
import type { ArtifactStore, FleetError } from '@fleet/core';
import type { TargetGuard } from '@fleet/targets';
import { type StepRef, toDomainError } from './driver-errors.js';
import type { RunLimits } from './run-limits.js';
import type { Session } from './session.js';
import { runStep, type StepContext, stepTimeoutOf } from './step-actions.js';

export interface RunContext {
  session: Session;
  limits: RunLimits;
  /** The caller's signal: a failure screenshot is not taken once it has fired. */
  signal: AbortSignal;
  stepTimeoutMs: number;
  itemId: string;
  store: ArtifactStore;
  guard: TargetGuard | undefined;
  data: Map<string, unknown>;
  artifacts: Map<string, string>;
}

/**
 * Room past a step's own timeout before the run gives up on it: polling steps and chromedriver's
 * page-load timeout answer at the step timeout with a precise error; this only catches a command
 * that never answers.
 */
const OVERRUN_GRACE_MS = 1_000;
const FAILURE_SCREENSHOT_WAIT_MS = 3_000;

// No screenshot when the session is gone, the caller wants us off the profile now (lease lost,
// shutdown), or the page was refused (its content must not be kept).
const NO_FAILURE_SCREENSHOT = new Set(['BROWSER_UNAVAILABLE', 'ABORTED', 'TARGET_BLOCKED']);

/** The failed page as artifact `failure`; undefined when it cannot be had quickly. Never throws. */
async function failureScreenshot(ctx: RunContext): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), FAILURE_SCREENSHOT_WAIT_MS);
  });
  const taking = (async () => {
    const png = Buffer.from(await ctx.session.takeScreenshot(), 'base64');
    return ctx.store.put(png, { itemId: ctx.itemId, name: 'failure' });
  })().catch(() => undefined);
  try {
    return await Promise.race([taking, gaveUp]);
  } finally {
    clearTimeout(timer);
  }
}

async function stepFailure(error: unknown, ref: StepRef, ctx: RunContext): Promise<FleetError> {
  const failure = toDomainError(error, ref);
  if (NO_FAILURE_SCREENSHOT.has(failure.code) || ctx.signal.aborted) return failure;
  const artifactId = await failureScreenshot(ctx);
  const detail = failure.details[0];
  if (artifactId !== undefined && detail) detail.artifactId = artifactId;
  return failure;
}

/** Runs the steps in order, each bounded by its timeout, the run's deadline and its signal. */
export async function runSteps(steps: Step[], ctx: RunContext): Promise<void> {
  for (const [index, step] of steps.entries()) {
    const kind = stepKind(step);
    const timeoutMs = stepTimeoutOf(step, ctx.stepTimeoutMs);
    try {
      await ctx.limits.race(timeoutMs + OVERRUN_GRACE_MS, (signal) => {
        const stepContext: StepContext = { ...ctx, signal, timeoutMs };
        return runStep(step, stepContext);
      });
    } catch (error) {
      throw await stepFailure(error, { index, kind, timeoutMs }, ctx);
    }
  }
}
