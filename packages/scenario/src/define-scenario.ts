// WebdriverIO's `Browser` type: the session the worker attached to the item's profile.
import type {} from 'webdriverio';
import type { z } from 'zod';

/** An item's data: what `run` returns (a JSON object, at most 1 MiB as JSON). */
export type ScenarioData = Record<string, unknown>;

/** The checkpoint an earlier attempt of this item left (`ctx.checkpoint`), restored on a retry. */
export interface ResumedCheckpoint {
  name: string;
  value: unknown;
  /** The attempt that wrote it (1 = the first). */
  attempt: number;
  /** Epoch ms it was written. */
  at: number;
}

/** What `run` gets for one attempt of one item. */
export interface ScenarioContext<Input> {
  /**
   * The WebdriverIO session on the item's profile (`browser.url(...)`, `browser.$(...)`, ...). The
   * worker ends it after `run`; the browser keeps running (a warm profile serves the next item).
   */
  browser: WebdriverIO.Browser;
  /** The item's input, parsed by the scenario's `input` schema. */
  input: Input;
  /** `<batchId>.<index>`. */
  itemId: string;
  /** 1 for the first attempt. */
  attempt: number;
  /**
   * Fires on cancel, the item's deadline, shutdown or a lost lease. Every `ctx` helper stops when
   * it fires; pass it to your own waits, and stop when it has fired.
   */
  signal: AbortSignal;
  /** Epoch ms by which this attempt must be done. */
  deadlineAt: number;
  /** The last checkpoint of an earlier attempt of this item, or null on a fresh start. */
  resumed: ResumedCheckpoint | null;
  /**
   * Records how far the item got (`value`: JSON, at most 256 KiB): if this attempt dies (a worker
   * crash, a lost lease), the item's next attempt gets it as `ctx.resumed`. Written only while this
   * attempt still holds the item: a stale attempt's write is refused and the attempt stops.
   */
  checkpoint(name: string, value?: unknown): Promise<void>;
  /** Navigate, checked by the worker's target guard (BLOCK_PRIVATE_TARGETS, ALLOWED_TARGETS) like a `goto` step. */
  goto(url: string): Promise<void>;
  /** Waits (up to `timeoutMs`, default the batch's step timeout) until an element matches (and is displayed). */
  waitFor(selector: string, options?: { timeoutMs?: number; visible?: boolean }): Promise<void>;
  /** The trimmed text of the first element matching `selector`, or null when none does. */
  text(selector: string): Promise<string | null>;
  /** An attribute of the first element matching `selector` (null when none, or no such attribute). */
  attr(selector: string, name: string): Promise<string | null>;
  /** The text (or `attr`) of every element matching `selector`. */
  all(selector: string, options?: { attr?: string }): Promise<Array<string | null>>;
  /** A `<table>` as records keyed by its header cells' text (empty or repeated headers: `col<i>`). */
  table(selector: string): Promise<Array<Record<string, string>>>;
  /** A screenshot of the page as artifact `name`; returns its artifact id (also in the item's artifacts). */
  screenshot(name: string): Promise<string>;
  /** Stores bytes as artifact `name` (mime `type`); returns its artifact id. */
  artifact(name: string, bytes: Uint8Array, type: string): Promise<string>;
  /** A structured log line of the worker, with the item's id (keep secrets and page contents out). */
  log(message: string, fields?: Record<string, unknown>): void;
  /** Fails the item with the scenario's own code: not retried, the profile not blamed. */
  fail(code: string, message: string, details?: Record<string, unknown>): never;
}

/** A scenario module's export (`export default defineScenario({...})`). */
export interface ScenarioDefinition<S extends z.ZodType = z.ZodType> {
  /** 1-64 letters, digits, "_" or "-", starting with a letter. */
  name: string;
  /** "1", "2.1" or "1.0.3": `name@version` must be unique among the loaded scenarios. */
  version: string;
  /** The zod schema of one item's input (an object); advertised as JSON Schema to the API. */
  input: S;
  run(ctx: ScenarioContext<z.output<S>>): Promise<ScenarioData>;
}

/** Types `run`'s `ctx.input` from the input schema; returns the definition as it is. */
export function defineScenario<S extends z.ZodType<Record<string, unknown>>>(
  definition: ScenarioDefinition<S>,
): ScenarioDefinition<S> {
  return definition;
}
