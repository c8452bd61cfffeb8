import { SCROLLS_DEFAULT } from '@fleet/contracts';
import { Key } from 'webdriverio';
import { truncate } from '../driver-errors.js';
import { elementRef } from '../page-queries.js';
import type { StepContext } from '../step-actions.js';
import { sleep } from '../waiting.js';
import { onElement, type StepSpec, stepInputInvalid, waitForElement } from './elements.js';

// hover, press and scroll: WebDriver actions (classic `performActions`) and small page scripts.

const SCROLL_INTO_VIEW = `arguments[0].scrollIntoView({ block: 'center', inline: 'center' });`;

/** `hover`: the mouse moves onto the element's centre (scrolled into view first): hover menus open. */
export function hover(selector: string, ctx: StepContext): Promise<unknown> {
  return onElement(selector, 'hovered', ctx, async (el) => {
    // A pointer move to an element outside the viewport fails ("move target out of bounds").
    await ctx.session.executeScript(SCROLL_INTO_VIEW, [elementRef(el)]);
    await ctx.session.performActions([
      {
        type: 'pointer',
        id: 'fleet-mouse',
        parameters: { pointerType: 'mouse' },
        actions: [{ type: 'pointerMove', origin: elementRef(el), x: 0, y: 0, duration: 0 }],
      },
    ]);
  });
}

// WebdriverIO's key names (its `Key`), plus Meta; `Ctrl` is a WebdriverIO placeholder, not a key.
const KEY_NAMES = new Map<string, string>(
  Object.entries(Key).filter(([name, code]) => name !== 'Ctrl' && name !== 'NULL' && code.length === 1),
);
KEY_NAMES.set('Meta', Key.Command);

/** A key name or a single character → the WebDriver key value; undefined when unknown. */
function keyValue(name: string): string | undefined {
  if ([...name].length === 1) return name;
  return KEY_NAMES.get(name);
}

/**
 * "Control+a Delete" → [[Control, a], [Delete]]: presses separated by spaces, each a chord of keys
 * joined by "+" ("+" itself: "+" alone or last, as in "Shift++"). Unknown names → STEP_INPUT_INVALID.
 */
export function parseKeys(keys: string): string[][] {
  return keys.split(' ').map((chord) => {
    const names =
      chord === '+'
        ? ['+']
        : chord.endsWith('++')
          ? [...chord.slice(0, -2).split('+'), '+']
          : chord.split('+');
    return names.map((name) => {
      const value = name === '' ? undefined : keyValue(name);
      if (value === undefined) {
        throw stepInputInvalid(
          `"${truncate(chord, 50)}" names an unknown key "${truncate(name, 30)}": use names such as Enter, Tab, Escape, ` +
            'Backspace, Delete, ArrowDown, Control, Shift, Alt, Meta, F5, or a single character',
        );
      }
      return value;
    });
  });
}

/** `press`: each chord's keys go down in order and up in reverse; with a selector, click it first. */
export async function press(spec: StepSpec<'press'>, ctx: StepContext): Promise<void> {
  const chords = parseKeys(spec.keys);
  if (spec.selector !== undefined) {
    await onElement(spec.selector, 'clicked', ctx, (el) => ctx.session.elementClick(el));
  }
  const actions = chords.flatMap((chord) => [
    ...chord.map((value) => ({ type: 'keyDown', value })),
    ...[...chord].reverse().map((value) => ({ type: 'keyUp', value })),
  ]);
  await ctx.session.performActions([{ type: 'key', id: 'fleet-keyboard', actions }]);
}

const PAGE_HEIGHT = `var el = document.scrollingElement || document.documentElement;
return Math.max(el.scrollHeight, document.body ? document.body.scrollHeight : 0);`;
const TO_BOTTOM = `var el = document.scrollingElement || document.documentElement;
window.scrollTo(window.scrollX, el.scrollHeight);`;

/**
 * `scroll`: an element into view, the window by pixels, or to the bottom again and again while the
 * page grows (infinite lists): stop when a scroll + `waitMs` adds no height, or after `max`.
 */
export async function scroll(spec: StepSpec<'scroll'>, ctx: StepContext): Promise<void> {
  if (spec.to !== undefined) {
    const el = await waitForElement(spec.to, ctx);
    await ctx.session.executeScript(SCROLL_INTO_VIEW, [elementRef(el)]);
    return;
  }
  if (spec.by !== undefined) {
    await ctx.session.executeScript('window.scrollBy(arguments[0], arguments[1]);', [
      spec.by.x ?? 0,
      spec.by.y ?? 0,
    ]);
    return;
  }
  const max = spec.bottom?.max ?? SCROLLS_DEFAULT;
  const waitMs = spec.bottom?.waitMs ?? 500;
  let height = (await ctx.session.executeScript(PAGE_HEIGHT, [])) as number;
  for (let i = 0; i < max; i++) {
    await ctx.session.executeScript(TO_BOTTOM, []);
    await sleep(waitMs, ctx.signal);
    const grown = (await ctx.session.executeScript(PAGE_HEIGHT, [])) as number;
    if (grown <= height) return;
    height = grown;
  }
}
