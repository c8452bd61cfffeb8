import { type BlockStep, MAX_EXECUTED_STEPS, type Step, stepKind } from '@fleet/contracts';
import { type ArtifactStore, type FleetError, NonRetryableError } from '@fleet/core';
import type { TargetGuard } from '@fleet/targets';
import { inSpan } from '@fleet/telemetry';
import { extractedValue } from './actions/extract-action.js';
import { driverUnreachable, type StepRef, toDomainError } from './driver-errors.js';
import { attachEvidence, type EvidenceSettings } from './evidence.js';
import { type PageReads, type ReadSpec, readPage } from './page-queries.js';
import { Interrupted, type RunLimits } from './run-limits.js';
import { driverAnswers, type Session } from './session.js';
import { afterLanding, navigate, runStep, type StepContext, stepTimeoutOf } from './step-actions.js';
import { type BlockRunner, type Frame, type Place, runBlock } from './step-blocks.js';
import { DataBudget, StepData } from './step-data.js';

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

/**
 * The failure as a domain error, with the failed page's evidence (evidence.ts). A step that overran
 * (a command never answered, or the step's own loop ran long) is the step's failure only while the
 * driver still answers: otherwise the browser's host is unreachable, which a retry may get past.
 */
async function stepFailure(error: unknown, ref: StepRef, ctx: RunContext): Promise<FleetError> {
  const unreachable =
    error instanceof Interrupted && error.reason === 'timeout' && !(await driverAnswers(ctx.session));
  const failure = unreachable ? driverUnreachable(ref) : toDomainError(error, ref);
  await attachEvidence(failure, ctx);
  return failure;
}

/** Runs the steps in order (nested ones too), each leaf bounded by its timeout, the run's deadline and its signal. */
export async function runSteps(steps: Step[], ctx: RunContext): Promise<void> {
  const interpreter = new Interpreter(ctx);
  await interpreter.run(steps);
  for (const [key, value] of interpreter.data) ctx.data.set(key, value);
}

/**
 * How many top-level steps from `at` run as one read of the page: a `goto` and the plain `extract`s
 * right after it (its landing check and their reads in one script), or two or more plain
 * `extract`s in a row; 0 when none. Plain: no `table` (it reads a found element's rows).
 */
export function fusedReads(steps: Step[], at: number): number {
  const first = steps[at];
  if (first === undefined) return 0;
  const withGoto = stepKind(first) === 'goto';
  let end = withGoto ? at + 1 : at;
  while (end < steps.length && isPlainExtract(steps[end]!)) end++;
  const count = end - at;
  return withGoto || count >= 2 ? count : 0;
}

function isPlainExtract(step: Step): step is Extract<Step, { extract: unknown }> {
  return stepKind(step) === 'extract' && 'extract' in step && !step.extract.table;
}

/**
 * The interpreter of the step language: walks nested step lists (blocks in step-blocks.ts), names
 * every step by its path (`steps[2].do[0]#7`), counts step executions against MAX_EXECUTED_STEPS
 * and keeps the item's data under MAX_ITEM_DATA_BYTES. Leaves go to `runStep` one at a time, each
 * raced against its timeout, the deadline and the signal; a block is not raced as a whole, its
 * own waits are (`race`).
 */
class Interpreter implements BlockRunner {
  readonly budget: DataBudget;
  readonly data: StepData;
  private executed = 0;
  /** Failures already turned into domain errors (with evidence) where they happened. */
  private readonly converted = new WeakSet<object>();

  constructor(readonly ctx: RunContext) {
    this.budget = new DataBudget(() => this.data);
    this.data = new StepData(this.budget);
  }

  async run(steps: Step[]): Promise<void> {
    const top: Frame = { data: this.data };
    for (let index = 0; index < steps.length; ) {
      const fused = fusedReads(steps, index);
      if (fused > 0) {
        await this.runFused(steps, index, fused, top);
        index += fused;
        continue;
      }
      const step = steps[index]!;
      await this.runOne(step, { index, structural: `steps[${index}]`, frame: top });
      index++;
    }
    try {
      this.budget.checkFinal();
    } catch (error) {
      throw toDomainError(error, { index: null, kind: null });
    }
  }

  newData(): StepData {
    return new StepData(this.budget);
  }

  async runNested(steps: Step[], at: Place, field: 'then' | 'else' | 'do', frame: Frame): Promise<void> {
    for (const [i, step] of steps.entries()) {
      await this.runOne(step, { index: at.index, structural: `${at.structural}.${field}[${i}]`, frame });
    }
  }

  race<T>(timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.ctx.limits.race(timeoutMs + OVERRUN_GRACE_MS, work);
  }

  stepContext(frame: Frame, signal: AbortSignal, timeoutMs: number): StepContext {
    return {
      ...this.ctx,
      signal,
      timeoutMs,
      scriptTimeoutMs: this.ctx.stepTimeoutMs,
      scope: frame.scope,
      data: frame.data,
    };
  }

  get stopped(): boolean {
    return this.ctx.limits.signal.aborted;
  }

  /**
   * `count` top-level steps from `from` (see `fusedReads`) with one script for the goto's landing
   * and every extract's read. Each step still counts, is bounded and fails as itself: a goto by
   * its navigation or landing, an extract by its value's conversion; an extract whose read threw
   * in the page (an invalid selector) runs again alone, to fail as it would unfused.
   */
  private async runFused(steps: Step[], from: number, count: number, top: Frame): Promise<void> {
    const hasGoto = stepKind(steps[from]!) === 'goto';
    const firstExtract = hasGoto ? from + 1 : from;
    const extracts = steps.slice(firstExtract, from + count) as Array<Extract<Step, { extract: unknown }>>;
    const specs: ReadSpec[] = extracts.map(({ extract }) => ({
      selector: extract.selector,
      attr: extract.attr ?? null,
      all: extract.all ?? false,
    }));
    let page: PageReads | undefined;
    const at = (index: number): Place => ({ index, structural: `steps[${index}]`, frame: top });
    if (hasGoto) {
      const step = steps[from] as Extract<Step, { goto: string }>;
      await this.runOne(step, at(from), async (ctx) => {
        const target = await navigate(step.goto, ctx);
        page = await readPage(ctx.session, specs);
        await afterLanding(page, target, ctx);
      });
    }
    for (const [i, step] of extracts.entries()) {
      await this.runOne(step, at(firstExtract + i), async (ctx) => {
        page ??= await readPage(ctx.session, specs);
        const answer = page.reads[i];
        if (answer !== undefined && 'ok' in answer) {
          ctx.data.set(step.extract.name, extractedValue(step.extract, answer.ok));
        } else {
          await runStep(step, ctx);
        }
      });
    }
  }

  private runOne(
    step: Step,
    at: Place,
    action: (ctx: StepContext) => Promise<void> = (ctx) => runStep(step, ctx),
  ): Promise<void> {
    const kind = stepKind(step);
    const path = at.frame.iteration === undefined ? at.structural : `${at.structural}#${at.frame.iteration}`;
    // One span per step execution (README "Tracing"): its kind and path, never its arguments (a
    // URL's query or a typed value may be a secret).
    const attributes = { 'fleet.step.kind': kind, 'fleet.step.path': path, 'fleet.step.index': at.index };
    return inSpan(`step ${kind}`, { attributes }, () => this.execute(step, at, kind, path, action));
  }

  private async execute(
    step: Step,
    at: Place,
    kind: ReturnType<typeof stepKind>,
    path: string,
    action: (ctx: StepContext) => Promise<void>,
  ): Promise<void> {
    const block = isBlock(step);
    const timeoutMs = block
      ? blockTimeoutOf(step, this.ctx.stepTimeoutMs)
      : stepTimeoutOf(step, this.ctx.stepTimeoutMs);
    try {
      if (++this.executed > MAX_EXECUTED_STEPS) throw stepLimitExceeded();
      if (block) {
        await runBlock(step, at, this);
      } else {
        await this.race(timeoutMs, (signal) => action(this.stepContext(at.frame, signal, timeoutMs)));
      }
    } catch (error) {
      if (typeof error === 'object' && error !== null && this.converted.has(error)) throw error;
      const failure = await stepFailure(error, { index: at.index, kind, timeoutMs, path }, this.ctx);
      this.converted.add(failure);
      throw failure;
    }
  }
}

/** The bound of a block's own waits, for messages (its leaves have their own). */
function blockTimeoutOf(step: BlockStep, defaultMs: number): number {
  if ('tab' in step) return step.tab.timeoutMs ?? defaultMs;
  if ('if' in step) return (step.if.waitMs ?? 0) + defaultMs;
  return defaultMs;
}

function isBlock(step: Step): step is BlockStep {
  return 'then' in step || 'do' in step;
}

function stepLimitExceeded(): NonRetryableError {
  return new NonRetryableError(
    'STEP_LIMIT_EXCEEDED',
    `more than ${MAX_EXECUTED_STEPS} step executions in one attempt (loops included)`,
  );
}
