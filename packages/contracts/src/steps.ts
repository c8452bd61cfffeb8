import { z } from 'zod';

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

const name = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/,
    'use 1-64 letters, digits, "_", "." or "-", starting with a letter or "_"',
  );

export const MAX_SLEEP_MS = 60_000;
export const MAX_STEP_TIMEOUT_MS = 120_000;

export const gotoStep = z.strictObject({ goto: navigableUrl });
export const clickStep = z.strictObject({ click: selector });
export const typeStep = z.strictObject({
  type: z.strictObject({ selector, text: z.string().max(10_000) }),
});
export const waitForStep = z.strictObject({
  waitFor: z.strictObject({
    selector,
    timeoutMs: z.number().int().positive().max(MAX_STEP_TIMEOUT_MS).optional(),
  }),
});
export const extractStep = z.strictObject({
  extract: z.strictObject({
    name,
    selector,
    /** An attribute to read (e.g. `href`); without it, the element's text. */
    attr: z.string().min(1).max(100).optional(),
    /** Every matching element (a list) instead of the first (a string, or null when none). */
    all: z.boolean().optional(),
  }),
});
export const screenshotStep = z.strictObject({ screenshot: z.strictObject({ name }) });
export const assertTextStep = z.strictObject({
  assertText: z.strictObject({ selector, contains: z.string().max(10_000) }),
});
export const sleepStep = z.strictObject({ sleep: z.number().int().min(0).max(MAX_SLEEP_MS) });

export const stepSchema = z.union([
  gotoStep,
  clickStep,
  typeStep,
  waitForStep,
  extractStep,
  screenshotStep,
  assertTextStep,
  sleepStep,
]);
export type Step = z.infer<typeof stepSchema>;

export const MAX_STEPS = 200;
export const stepsSchema = z.array(stepSchema).min(1).max(MAX_STEPS);

/** The step's kind: its one key. */
export type StepKind =
  | 'goto'
  | 'click'
  | 'type'
  | 'waitFor'
  | 'extract'
  | 'screenshot'
  | 'assertText'
  | 'sleep';

export function stepKind(step: Step): StepKind {
  return Object.keys(step)[0] as StepKind;
}
