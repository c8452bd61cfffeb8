import { z } from 'zod';

/**
 * The step language (second edition): a batch's steps are a list of objects, each with exactly
 * one key, its kind. Nested lists (`then`/`else` of `if`, `do` of loops, frames and tabs) hold
 * steps of the same language. Regular expressions (`urlMatches`, `waitForUrl.matches`) and
 * `evaluate` expressions run in the page, never on the worker.
 */

/** CSS selectors are sent to the browser as they are; keep them short and non-empty. */
const selector = z.string().min(1).max(1000);

/** Only http and https: no file:, data:, javascript: or chrome: navigation. `{{var}}` may stand in. */
const navigableUrl = z
  .string()
  .min(1)
  .max(4096)
  .refine((value) => /^\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}/.test(value) || isHttpUrl(value), {
    message: 'must be an http:// or https:// URL',
  });

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** A data, screenshot or file name. */
const name = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/,
    'use 1-64 letters, digits, "_", "." or "-", starting with a letter or "_"',
  );

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/** A JavaScript regular expression's source (no slashes, no flags); it is run in the page. */
const pattern = z
  .string()
  .min(1)
  .max(500)
  .refine(compiles, { message: 'must be a valid JavaScript regular expression (no slashes or flags)' });

export const MAX_SLEEP_MS = 60_000;
export const MAX_STEP_TIMEOUT_MS = 120_000;
/** Steps in one definition, nested ones included. */
export const MAX_STEPS = 200;
/** Levels of nested step lists (`if` inside `forEach` inside `paginate` …). */
export const MAX_DEPTH = 5;
/** Step executions in one attempt, loop iterations included (a runaway loop stops here). */
export const MAX_EXECUTED_STEPS = 5_000;
export const MAX_FOREACH = 1_000;
export const FOREACH_DEFAULT = 100;
export const MAX_PAGES = 100;
export const PAGES_DEFAULT = 10;
export const MAX_SCROLLS = 200;
export const SCROLLS_DEFAULT = 20;
export const MAX_EXPRESSION_CHARS = 10_000;
/** An `evaluate` result, as JSON. */
export const MAX_EVALUATE_RESULT_BYTES = 64 * 1024;
/** An item's whole `data`, as JSON. */
export const MAX_ITEM_DATA_BYTES = 1024 * 1024;
export const MAX_TYPE_DELAY_MS = 1_000;
export const MAX_COOKIES = 50;

const timeoutMs = z.number().int().positive().max(MAX_STEP_TIMEOUT_MS);
const waitMs = z.number().int().min(0).max(MAX_SLEEP_MS);

function exactlyOne(keys: readonly string[]) {
  return [
    (value: object) =>
      keys.filter((key) => (value as Record<string, unknown>)[key] !== undefined).length === 1,
    { message: `give exactly one of ${keys.join(', ')}` },
  ] as const;
}

// ---------------------------------------------------------------------------------------------
// Conditions (`if`, `paginate.until`)

export const CONDITION_KINDS = ['exists', 'visible', 'textContains', 'urlMatches', 'urlContains'] as const;

const conditionShape = {
  /** An element matches the selector. */
  exists: selector.optional(),
  /** An element matches and is displayed. */
  visible: selector.optional(),
  /** The first match's text (default `body`) contains `text`. */
  textContains: z
    .strictObject({ selector: selector.optional(), text: z.string().min(1).max(10_000) })
    .optional(),
  /** The page's URL matches this regular expression (tested in the page). */
  urlMatches: pattern.optional(),
  urlContains: z.string().min(1).max(4096).optional(),
  /** The condition's opposite. */
  not: z.boolean().optional(),
};

export const conditionSchema = z.strictObject(conditionShape).refine(...exactlyOne(CONDITION_KINDS));
export type Condition = z.infer<typeof conditionSchema>;

// ---------------------------------------------------------------------------------------------
// Leaf steps (first edition, unchanged shapes; some gain optional fields)

export const gotoStep = z.strictObject({ goto: navigableUrl });
export const clickStep = z.strictObject({ click: selector });
export const typeStep = z.strictObject({
  type: z.strictObject({
    selector,
    text: z.string().max(10_000),
    /** Per key, ±30% jitter: a human typing cadence. Omitted: all at once. */
    delayMs: z.number().int().min(0).max(MAX_TYPE_DELAY_MS).optional(),
    /** Clear the field first (default true). */
    clear: z.boolean().optional(),
    timeoutMs: timeoutMs.optional(),
  }),
});
export const waitForStep = z.strictObject({
  waitFor: z.strictObject({ selector, timeoutMs: timeoutMs.optional() }),
});
export const EXTRACT_TYPES = ['string', 'number', 'json'] as const;
export const extractStep = z.strictObject({
  extract: z
    .strictObject({
      name,
      selector,
      /** An attribute to read (e.g. `href`); without it, the element's text. */
      attr: z.string().min(1).max(100).optional(),
      /** Every matching element (a list) instead of the first (a string, or null when none). */
      all: z.boolean().optional(),
      /** The selector finds a `<table>`: its rows as records keyed by the header cells. */
      table: z.boolean().optional(),
      /** `number` parses "€1,234.50" as 1234.5 (null when unparsable); `json` parses JSON. */
      type: z.enum(EXTRACT_TYPES).optional(),
    })
    .refine((e) => !(e.table && (e.attr !== undefined || e.all !== undefined || e.type !== undefined)), {
      message: 'table reads the whole table: it takes no attr, all or type',
    }),
});
export const screenshotStep = z.strictObject({ screenshot: z.strictObject({ name }) });
export const assertTextStep = z.strictObject({
  assertText: z.strictObject({ selector, contains: z.string().max(10_000), timeoutMs: timeoutMs.optional() }),
});
export const sleepStep = z.strictObject({ sleep: z.number().int().min(0).max(MAX_SLEEP_MS) });

// ---------------------------------------------------------------------------------------------
// Leaf steps (second edition)

export const selectStep = z.strictObject({
  select: z
    .strictObject({
      selector,
      value: z.string().max(1000).optional(),
      label: z.string().max(1000).optional(),
      index: z.number().int().min(0).max(10_000).optional(),
      timeoutMs: timeoutMs.optional(),
    })
    .refine(...exactlyOne(['value', 'label', 'index'])),
});
export const hoverStep = z.strictObject({ hover: selector });
export const pressStep = z.strictObject({
  press: z.strictObject({
    /** Space-separated presses, each a chord joined with "+": "Control+a Delete", "Enter". */
    keys: z
      .string()
      .min(1)
      .max(200)
      .regex(/^\S+( \S+)*$/, 'key presses separated by single spaces, chords joined with "+"'),
    /** Focus (click) this element first. */
    selector: selector.optional(),
  }),
});
export const scrollStep = z.strictObject({
  scroll: z
    .strictObject({
      /** Scroll this element into view. */
      to: selector.optional(),
      /** Scroll the window by pixels. */
      by: z
        .strictObject({
          x: z.number().int().min(-100_000).max(100_000).optional(),
          y: z.number().int().min(-100_000).max(100_000).optional(),
        })
        .optional(),
      /** Scroll to the bottom, wait, repeat while the page grows (infinite lists), at most `max` times. */
      bottom: z
        .strictObject({
          max: z.number().int().min(1).max(MAX_SCROLLS).optional(),
          waitMs: z.number().int().min(0).max(10_000).optional(),
        })
        .optional(),
    })
    .refine(...exactlyOne(['to', 'by', 'bottom'])),
});
export const checkStep = z.strictObject({ check: selector });
export const uncheckStep = z.strictObject({ uncheck: selector });
export const waitForUrlStep = z.strictObject({
  waitForUrl: z
    .strictObject({
      contains: z.string().min(1).max(4096).optional(),
      /** A regular expression, tested in the page. */
      matches: pattern.optional(),
      timeoutMs: timeoutMs.optional(),
    })
    .refine(...exactlyOne(['contains', 'matches'])),
});
export const waitForTextStep = z.strictObject({
  waitForText: z.strictObject({
    text: z.string().min(1).max(10_000),
    /** Whose text to watch (default `body`). */
    selector: selector.optional(),
    timeoutMs: timeoutMs.optional(),
  }),
});

export const cookieSchema = z.strictObject({
  name: z.string().min(1).max(256),
  value: z.string().max(4096),
  domain: z.string().min(1).max(253).optional(),
  path: z.string().min(1).max(1024).optional(),
  secure: z.boolean().optional(),
  httpOnly: z.boolean().optional(),
  /** Epoch seconds; omitted: a session cookie. */
  expiry: z.number().int().positive().optional(),
  sameSite: z.enum(['Lax', 'Strict', 'None']).optional(),
});
export type Cookie = z.infer<typeof cookieSchema>;
export const cookieListSchema = z.array(cookieSchema).min(1).max(MAX_COOKIES);

export const setCookiesStep = z.strictObject({
  setCookies: z
    .strictObject({
      cookies: cookieListSchema.optional(),
      /** A JSON array of cookies, usually an item variable ("{{cookies}}"); checked when the step runs. */
      json: z.string().min(1).max(100_000).optional(),
    })
    .refine(...exactlyOne(['cookies', 'json'])),
});
export const getCookiesStep = z.strictObject({
  getCookies: z.strictObject({
    /** Data name for the list of cookies. */
    name,
    /** Only these cookies; omitted: all of the current site's. */
    names: z.array(z.string().min(1).max(256)).min(1).max(MAX_COOKIES).optional(),
  }),
});
export const clearStorageStep = z.strictObject({
  /** Omitted keys default to true: `{}` clears all three for the current site. */
  clearStorage: z.strictObject({
    cookies: z.boolean().optional(),
    localStorage: z.boolean().optional(),
    sessionStorage: z.boolean().optional(),
  }),
});
export const evaluateStep = z.strictObject({
  evaluate: z.strictObject({
    /** Data name for the expression's JSON result. */
    name,
    /** Run in the page as `return (<expression>)`; a Promise is awaited. Never run on the worker. */
    expression: z.string().min(1).max(MAX_EXPRESSION_CHARS),
    timeoutMs: timeoutMs.optional(),
  }),
});
export const uploadStep = z.strictObject({
  upload: z.strictObject({
    /** An `<input type="file">`. */
    selector,
    /** The name of one of the batch's `files`. */
    file: name,
  }),
});

// ---------------------------------------------------------------------------------------------
// Steps with nested steps. Typed by hand: zod cannot infer a recursive type.

export interface IfStep {
  if: Condition & { waitMs?: number };
  then: Step[];
  else?: Step[];
}
export interface ForEachStep {
  forEach: { selector: string; as: string; max?: number };
  do: Step[];
}
export interface PaginateStep {
  paginate: { next: string; max?: number; until?: Condition };
  do: Step[];
}
export interface FrameStep {
  frame: string;
  do: Step[];
}
export interface TabStep {
  tab: { click: string; close?: boolean; timeoutMs?: number };
  do: Step[];
}

export type LeafStep =
  | z.infer<typeof gotoStep>
  | z.infer<typeof clickStep>
  | z.infer<typeof typeStep>
  | z.infer<typeof waitForStep>
  | z.infer<typeof extractStep>
  | z.infer<typeof screenshotStep>
  | z.infer<typeof assertTextStep>
  | z.infer<typeof sleepStep>
  | z.infer<typeof selectStep>
  | z.infer<typeof hoverStep>
  | z.infer<typeof pressStep>
  | z.infer<typeof scrollStep>
  | z.infer<typeof checkStep>
  | z.infer<typeof uncheckStep>
  | z.infer<typeof waitForUrlStep>
  | z.infer<typeof waitForTextStep>
  | z.infer<typeof setCookiesStep>
  | z.infer<typeof getCookiesStep>
  | z.infer<typeof clearStorageStep>
  | z.infer<typeof evaluateStep>
  | z.infer<typeof uploadStep>;
export type BlockStep = IfStep | ForEachStep | PaginateStep | FrameStep | TabStep;
export type Step = LeafStep | BlockStep;

const nested: z.ZodType<Step[]> = z.lazy(() => z.array(stepSchema).min(1).max(MAX_STEPS));

export const ifStep = z.strictObject({
  if: z.strictObject({ ...conditionShape, waitMs: waitMs.optional() }).refine(...exactlyOne(CONDITION_KINDS)),
  then: nested,
  else: nested.optional(),
});
export const forEachStep = z.strictObject({
  forEach: z.strictObject({ selector, as: name, max: z.number().int().min(1).max(MAX_FOREACH).optional() }),
  do: nested,
});
export const paginateStep = z.strictObject({
  paginate: z.strictObject({
    next: selector,
    max: z.number().int().min(1).max(MAX_PAGES).optional(),
    until: conditionSchema.optional(),
  }),
  do: nested,
});
export const frameStep = z.strictObject({ frame: selector, do: nested });
export const tabStep = z.strictObject({
  tab: z.strictObject({ click: selector, close: z.boolean().optional(), timeoutMs: timeoutMs.optional() }),
  do: nested,
});

/** Every step kind, in the order the README documents them. */
export const STEP_KINDS = [
  'goto',
  'click',
  'type',
  'waitFor',
  'extract',
  'screenshot',
  'assertText',
  'sleep',
  'select',
  'hover',
  'press',
  'scroll',
  'check',
  'uncheck',
  'waitForUrl',
  'waitForText',
  'setCookies',
  'getCookies',
  'clearStorage',
  'evaluate',
  'upload',
  'if',
  'forEach',
  'paginate',
  'frame',
  'tab',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];
export const BLOCK_KINDS = ['if', 'forEach', 'paginate', 'frame', 'tab'] as const;

export const stepSchema: z.ZodType<Step> = z.union([
  gotoStep,
  clickStep,
  typeStep,
  waitForStep,
  extractStep,
  screenshotStep,
  assertTextStep,
  sleepStep,
  selectStep,
  hoverStep,
  pressStep,
  scrollStep,
  checkStep,
  uncheckStep,
  waitForUrlStep,
  waitForTextStep,
  setCookiesStep,
  getCookiesStep,
  clearStorageStep,
  evaluateStep,
  uploadStep,
  ifStep,
  forEachStep,
  paginateStep,
  frameStep,
  tabStep,
]) as z.ZodType<Step>;

/** The step's kind: its one kind key (`if` steps also carry `then`/`else`, blocks `do`). */
export function stepKind(step: Step): StepKind {
  for (const key of Object.keys(step)) {
    if ((STEP_KINDS as readonly string[]).includes(key)) return key as StepKind;
  }
  throw new Error(`not a step: ${Object.keys(step).join(', ')}`);
}

/** The nested step lists of a step, by the field that holds them. */
export function nestedLists(step: Step): [field: 'then' | 'else' | 'do', steps: Step[]][] {
  const lists: [field: 'then' | 'else' | 'do', steps: Step[]][] = [];
  if ('then' in step) lists.push(['then', step.then]);
  if ('else' in step && step.else) lists.push(['else', step.else]);
  if ('do' in step) lists.push(['do', step.do]);
  return lists;
}

/** Steps in a definition, nested ones included, and its deepest nesting (a flat list is 0). */
export function stepCounts(steps: Step[]): { steps: number; depth: number } {
  let count = 0;
  let depth = 0;
  const walk = (list: Step[], level: number) => {
    depth = Math.max(depth, level);
    for (const step of list) {
      count++;
      for (const [, inner] of nestedLists(step)) walk(inner, level + 1);
    }
  };
  walk(steps, 0);
  return { steps: count, depth };
}

/** Names of the batch files the steps' `upload`s refer to. */
export function filesUsed(steps: Step[]): string[] {
  const names = new Set<string>();
  const walk = (list: Step[]) => {
    for (const step of list) {
      if ('upload' in step) names.add(step.upload.file);
      for (const [, inner] of nestedLists(step)) walk(inner);
    }
  };
  walk(steps);
  return [...names].sort();
}

export const stepsSchema = z
  .array(stepSchema)
  .min(1)
  .max(MAX_STEPS)
  .superRefine((steps, ctx) => {
    const { steps: count, depth } = stepCounts(steps);
    if (count > MAX_STEPS) {
      ctx.addIssue({
        code: 'custom',
        message: `${count} steps counting nested ones: at most ${MAX_STEPS}`,
      });
    }
    if (depth > MAX_DEPTH) {
      ctx.addIssue({
        code: 'custom',
        message: `steps nest ${depth} levels deep: at most ${MAX_DEPTH}`,
      });
    }
  });
