import { type Step, stepKind } from '@fleet/contracts';
import type { ArtifactStore, FleetError } from '@fleet/core';
import type { TargetGuard } from '@fleet/targets';
import { type StepRef, toDomainError } from './driver-errors.js';
import { attachEvidence, type EvidenceSettings } from './evidence.js';
import type { RunLimits } from './run-limits.js';
import type { Session } from './session.js';
import { runStep, type StepContext, stepTimeoutOf } from './step-actions.js';

export interface RunContext {
  session: Session;
  limits: RunLimits;
  /** The caller's signal: no failure evidence is taken once it has fired. */
  signal: AbortSignal;
  stepTimeoutMs: number;
  itemId: string;
  store: ArtifactStore;
  guard: TargetGuard | undefined;
  data: Map<string, unknown>;
  artifacts: Map<string, string>;
  evidence: EvidenceSettings;
}

/**
 * Room past a step's own timeout before the run gives up on it: polling steps and chromedriver's
 * page-load timeout answer at the step timeout with a precise error; this only catches a command
 * that never answers.
 */
const OVERRUN_GRACE_MS = 1_000;

/** The failure as a domain error, with the failed page's evidence (evidence.ts). */
async function stepFailure(error: unknown, ref: StepRef, ctx: RunContext): Promise<FleetError> {
  const failure = toDomainError(error, ref);
  await attachEvidence(failure, ctx);
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
