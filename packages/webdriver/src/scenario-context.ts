import type { ArtifactStore, LoggerPort } from '@fleet/core';
import { NonRetryableError } from '@fleet/core';
import { type ResumedCheckpoint, type ScenarioContext, ScenarioError } from '@fleet/scenario';
import type { TargetGuard } from '@fleet/targets';
import { readElements } from './page-queries.js';
import type { RunLimits } from './run-limits.js';
import type { Session } from './session.js';
import { runStep, type StepContext } from './step-actions.js';
import { pollUntil } from './waiting.js';

/** A checkpoint's value, as JSON, is at most this large. */
export const MAX_CHECKPOINT_BYTES = 256 * 1024;
/** Room past a helper's own timeout before the run gives up on it (as for steps). */
const OVERRUN_GRACE_MS = 1_000;

// A <table> as records keyed by its header cells' text (thead th, else the first row's cells);
// empty or repeated headers become col<i>. One round trip.
const TABLE_SCRIPT = `
var table = document.querySelector(arguments[0]);
if (!table) return null;
var text = function (el) { return ((typeof el.innerText === 'string' ? el.innerText : el.textContent) || '').trim(); };
var rows = Array.prototype.slice.call(table.rows);
var headRow = table.tHead && table.tHead.rows[0] ? table.tHead.rows[0] : rows[0];
if (!headRow) return [];
var seen = {};
var headers = Array.prototype.map.call(headRow.cells, function (c, i) {
  var h = text(c);
  if (!h || seen[h]) h = 'col' + i;
  seen[h] = true;
  return h;
});
return rows.filter(function (r) { return r !== headRow; }).map(function (r) {
  var record = {};
  Array.prototype.forEach.call(r.cells, function (c, i) { record[headers[i] || ('col' + i)] = text(c); });
  return record;
});`;

/** `value` as JSON of at most `maxBytes`, or the error `fail` makes of what is wrong with it. */
export function boundedJson(value: unknown, maxBytes: number, fail: (why: string) => Error): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw fail(`is not JSON (${(error as Error).message})`);
  }
  if (json === undefined) throw fail('is not JSON');
  const bytes = Buffer.byteLength(json);
  if (bytes > maxBytes) throw fail(`has ${bytes} bytes as JSON; at most ${maxBytes}`);
  return json;
}

export interface ContextParts {
  session: Session;
  limits: RunLimits;
  stepTimeoutMs: number;
  itemId: string;
  attempt: number;
  scenarioId: string;
  input: unknown;
  resumed: ResumedCheckpoint | null;
  store: ArtifactStore;
  guard: TargetGuard | undefined;
  logger: LoggerPort | undefined;
  /** Artifact name → id: what the item's result lists. */
  artifacts: Map<string, string>;
  checkpoint(name: string, value: unknown): Promise<void>;
}

/** The `ctx` a scenario's `run` gets: each helper bounded by the step timeout, the deadline and the signal. */
export function scenarioContext(parts: ContextParts): ScenarioContext<unknown> {
  const { session, limits, stepTimeoutMs } = parts;
  const bounded = <T>(timeoutMs: number, work: (signal: AbortSignal) => Promise<T>) =>
    limits.race(timeoutMs + OVERRUN_GRACE_MS, work);
  const step =
    (timeoutMs: number) =>
    (signal: AbortSignal): StepContext => ({
      session,
      signal,
      timeoutMs,
      itemId: parts.itemId,
      store: parts.store,
      guard: parts.guard,
      data: new Map(),
      artifacts: parts.artifacts,
    });
  const put = (bytes: Uint8Array, name: string, type: string) => {
    // The artifact store keeps the type once it is typed (issue 15 section B); until then, PNGs.
    const meta = { itemId: parts.itemId, name, type };
    return parts.store.put(bytes, meta);
  };
  return {
    browser: session,
    input: parts.input,
    itemId: parts.itemId,
    attempt: parts.attempt,
    signal: limits.signal,
    deadlineAt: limits.deadlineAt,
    resumed: parts.resumed,
    async checkpoint(name, value = null) {
      limits.throwIfStopped();
      if (typeof name !== 'string' || name.length < 1 || name.length > 100) {
        throw new NonRetryableError('CHECKPOINT_INVALID', 'a checkpoint name is 1-100 characters');
      }
      const json = boundedJson(
        value,
        MAX_CHECKPOINT_BYTES,
        (why) => new NonRetryableError('CHECKPOINT_INVALID', `checkpoint "${name}": its value ${why}`),
      );
      await bounded(stepTimeoutMs, () => parts.checkpoint(name, JSON.parse(json)));
      parts.logger?.info(
        { itemId: parts.itemId, scenario: parts.scenarioId, checkpoint: name },
        'checkpoint',
      );
    },
    goto: (url) => bounded(stepTimeoutMs, (signal) => runStep({ goto: url }, step(stepTimeoutMs)(signal))),
    async waitFor(selector, options = {}) {
      const timeoutMs = options.timeoutMs ?? stepTimeoutMs;
      if (!options.visible) {
        await bounded(timeoutMs, (signal) =>
          runStep({ waitFor: { selector, timeoutMs } }, step(timeoutMs)(signal)),
        );
        return;
      }
      const shown = await bounded(timeoutMs, (signal) =>
        pollUntil(
          async () =>
            (await session
              .$(selector)
              .isDisplayed()
              .catch(() => false))
              ? true
              : undefined,
          { timeoutMs, signal },
        ),
      );
      if (!shown) {
        throw new NonRetryableError(
          'SELECTOR_NOT_FOUND',
          `no displayed element matched "${selector}" within ${timeoutMs} ms`,
        );
      }
    },
    text: async (selector) =>
      (await bounded(stepTimeoutMs, () => readElements(session, selector, { all: false })))[0] ?? null,
    attr: async (selector, name) =>
      (await bounded(stepTimeoutMs, () => readElements(session, selector, { attr: name, all: false })))[0] ??
      null,
    all: (selector, options = {}) =>
      bounded(stepTimeoutMs, () => readElements(session, selector, { attr: options.attr, all: true })),
    async table(selector) {
      const rows = await bounded(stepTimeoutMs, () => session.executeScript(TABLE_SCRIPT, [selector]));
      if (rows === null) {
        throw new NonRetryableError('SELECTOR_NOT_FOUND', `no table matched "${selector}"`);
      }
      return rows as Array<Record<string, string>>;
    },
    async screenshot(name) {
      const id = await bounded(stepTimeoutMs, async () =>
        put(Buffer.from(await session.takeScreenshot(), 'base64'), name, 'image/png'),
      );
      parts.artifacts.set(name, id);
      return id;
    },
    async artifact(name, bytes, type) {
      const id = await bounded(stepTimeoutMs, () => put(bytes, name, type));
      parts.artifacts.set(name, id);
      return id;
    },
    log(message, fields = {}) {
      parts.logger?.info({ ...fields, itemId: parts.itemId, scenario: parts.scenarioId }, message);
    },
    fail(code, message, details) {
      throw new ScenarioError(code, message, details);
    },
  };
}
