import { parseKeys } from './pointer-actions.js';
import { useActionFixture } from './test-fixture.js';

const fx = useActionFixture();

test('hover moves the real pointer: a CSS :hover menu opens (scrolled into view first)', async () => {
  const out = await fx.run([
    { goto: `${fx.site.url}/hover` },
    {
      evaluate: {
        name: 'before',
        expression: "getComputedStyle(document.getElementById('submenu')).display",
      },
    },
    { hover: '#menu' },
    {
      evaluate: { name: 'after', expression: "getComputedStyle(document.getElementById('submenu')).display" },
    },
    { extract: { name: 'hovered', selector: '#hovered' } },
    { click: '#deep' },
  ]);
  expect(out.data).toEqual({ before: 'none', after: 'block', hovered: 'yes' });
  expect(out.url).toMatch(/#deep$/);
});

test('press: keys and chords, focused on the selector first', async () => {
  const out = await fx.run([
    { goto: `${fx.site.url}/keys` },
    { type: { selector: '#keys', text: 'abc' } },
    { press: { keys: 'Control+a Delete x Shift+y Enter', selector: '#keys' } },
    { press: { keys: 'Tab z' } },
    { evaluate: { name: 'keys', expression: "document.getElementById('keys').value" } },
    { evaluate: { name: 'other', expression: "document.getElementById('other').value" } },
    { extract: { name: 'log', selector: '#log' } },
  ]);
  // Select-all then Delete empties the field; Shift+y types a capital Y.
  expect(out.data.keys).toBe('xY');
  expect(out.data.other).toBe('z');
  expect(String(out.data.log)).toContain(
    'Control+a@keys Delete@keys x@keys Shift+Y@keys Enter@keys Tab@keys z@other',
  );
});

test('press: an unknown key name → STEP_INPUT_INVALID before anything is pressed', async () => {
  const error = await fx.fail([{ goto: `${fx.site.url}/keys` }, { press: { keys: 'Control+Banana' } }]);
  expect(error.code).toBe('STEP_INPUT_INVALID');
  expect(error.message).toContain('unknown key "Banana"');
  expect(error.details[0]).toMatchObject({ step: 1, kind: 'press' });
});

test('parseKeys: chords, "+" as a key, single characters', () => {
  expect(parseKeys('Enter')).toEqual([['\uE007']]);
  expect(parseKeys('Control+a Delete')).toEqual([['\uE009', 'a'], ['\uE017']]);
  expect(parseKeys('+ Shift++')).toEqual([['+'], ['\uE008', '+']]);
  expect(parseKeys('Meta+é')).toEqual([['\uE03D', 'é']]);
  expect(() => parseKeys('Control+')).toThrow(/unknown key/);
});

test('scroll: to an element, by pixels, and to the bottom while an infinite list grows', async () => {
  const y = 'Math.round(window.scrollY)';
  const out = await fx.run([
    { goto: `${fx.site.url}/hover` },
    { scroll: { to: '#menu' } },
    {
      evaluate: {
        name: 'menuInView',
        expression: "document.getElementById('menu').getBoundingClientRect().top < innerHeight",
      },
    },
    { goto: `${fx.site.url}/scroll?total=100` },
    { scroll: { by: { y: 300 } } },
    { evaluate: { name: 'afterBy', expression: y } },
    { scroll: { bottom: { waitMs: 300 } } },
    { extract: { name: 'rows', selector: '#count', type: 'number' } },
  ]);
  expect(out.data).toEqual({ menuInView: true, afterBy: 300, rows: 100 });
});

test('scroll bottom stops at max scrolls, and once the page stops growing', async () => {
  const capped = await fx.run([
    { goto: `${fx.site.url}/scroll?total=1000` },
    { scroll: { bottom: { max: 2, waitMs: 300 } } },
    { extract: { name: 'rows', selector: '#count', type: 'number' } },
  ]);
  // 20 at load, 20 more per scroll.
  expect(capped.data.rows).toBe(60);
  const started = Date.now();
  const done = await fx.run([
    { goto: `${fx.site.url}/scroll?total=20` },
    { scroll: { bottom: { max: 50, waitMs: 200 } } },
  ]);
  expect(done.url).toContain('/scroll');
  // One scroll that grew nothing, not 50.
  expect(Date.now() - started).toBeLessThan(3_000);
});
