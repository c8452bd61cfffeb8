import { MAX_ITEM_DATA_BYTES, type Step } from '@fleet/contracts';
import { NonRetryableError } from '@fleet/core';

/** The size of a value as JSON (Maps as objects), in UTF-8 bytes; 0 for undefined. */
export function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value, (_key, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v));
  return text === undefined ? 0 : Buffer.byteLength(text);
}

export function resultTooLarge(bytes: number): NonRetryableError {
  return new NonRetryableError(
    'RESULT_TOO_LARGE',
    `the item's data would take ${bytes} bytes as JSON: at most ${MAX_ITEM_DATA_BYTES}`,
  );
}

/**
 * Keeps an item's data under MAX_ITEM_DATA_BYTES while it is collected: every write is weighed,
 * and after each eighth of the limit written the whole tree (the item's data plus the lists and
 * records of loops still running) is measured exactly, so a runaway extract fails the item early
 * without measuring everything at every write. The run's end measures once more, exactly.
 */
export class DataBudget {
  private sinceCheck = 0;
  /** Containers not yet in the item's data: forEach records being filled, paginate's page data. */
  readonly pending = new Set<unknown>();

  constructor(private readonly root: () => Map<string, unknown>) {}

  wrote(value: unknown): void {
    this.sinceCheck += jsonBytes(value);
    if (this.sinceCheck <= MAX_ITEM_DATA_BYTES / 8) return;
    this.sinceCheck = 0;
    let bytes = jsonBytes(this.root());
    for (const container of this.pending) bytes += jsonBytes(container);
    if (bytes > MAX_ITEM_DATA_BYTES) throw resultTooLarge(bytes);
  }

  /** The exact check at the end of a run. */
  checkFinal(): void {
    const bytes = jsonBytes(this.root());
    if (bytes > MAX_ITEM_DATA_BYTES) throw resultTooLarge(bytes);
  }
}

/** Where steps write data (`ctx.data.set`): the item, a forEach record or a page of paginate. */
export class StepData extends Map<string, unknown> {
  constructor(private readonly budget: DataBudget) {
    super();
  }

  override set(key: string, value: unknown): this {
    super.set(key, value);
    // Weighed once in place: a value too large fails the step (and the item) that wrote it.
    this.budget.wrote(value);
    return this;
  }

  /** A value whose parts were weighed already (a loop's list of records, merged pages). */
  place(key: string, value: unknown): this {
    return super.set(key, value);
  }
}

/**
 * Data names whose lists accumulate across the pages of a paginate: forEach `as` lists and
 * extracts of lists (`all`, `table`) in its steps, through if/frame/tab and nested paginates
 * (a forEach's own steps write into its records, not here).
 */
export function accumulatingNames(steps: Step[]): Set<string> {
  const names = new Set<string>();
  const walk = (list: Step[]) => {
    for (const step of list) {
      if ('forEach' in step) names.add(step.forEach.as);
      else if ('extract' in step && (step.extract.all || step.extract.table)) names.add(step.extract.name);
      else if ('then' in step) {
        walk(step.then);
        if (step.else) walk(step.else);
      } else if ('do' in step) walk(step.do);
    }
  };
  walk(steps);
  return names;
}

/**
 * Adds one page's data to the data around a paginate: lists of `accumulating` names are appended
 * to what earlier pages of this paginate gathered (`gathered` names those), the rest is replaced.
 */
export function mergePage(
  into: StepData,
  page: Map<string, unknown>,
  accumulating: Set<string>,
  gathered: Set<string>,
): void {
  for (const [key, value] of page) {
    if (accumulating.has(key) && Array.isArray(value)) {
      const before = gathered.has(key) ? into.get(key) : undefined;
      into.place(key, Array.isArray(before) ? [...before, ...value] : value);
      gathered.add(key);
    } else {
      into.place(key, value);
    }
  }
}
