import {
  createBatchBodySchema,
  filesUsed,
  interpolateSteps,
  MAX_DEPTH,
  MAX_STEPS,
  STEP_KINDS,
  type Step,
  stepCounts,
  stepKind,
  stepsSchema,
  varsUsed,
  zodDetails,
} from './index.js';

/** One valid example of every kind (the README's reference shows the same shapes). */
const EVERY_KIND: Step[] = [
  { goto: 'https://shop.test/login' },
  { click: 'button#login' },
  { type: { selector: '#q', text: 'lamp', delayMs: 80, clear: false, timeoutMs: 5000 } },
  { waitFor: { selector: '.done', timeoutMs: 5000 } },
  { extract: { name: 'price', selector: '.price', type: 'number' } },
  { screenshot: { name: 'page' } },
  { assertText: { selector: 'h1', contains: 'Welcome', timeoutMs: 3000 } },
  { sleep: 250 },
  { select: { selector: 'select#size', label: 'Medium' } },
  { hover: 'nav .menu' },
  { press: { keys: 'Control+a Delete', selector: '#q' } },
  { scroll: { bottom: { max: 5, waitMs: 300 } } },
  { check: '#terms' },
  { uncheck: '#newsletter' },
  { waitForUrl: { matches: '/orders/\\d+$' } },
  { waitForText: { text: 'Order confirmed' } },
  { setCookies: { cookies: [{ name: 'consent', value: '1', sameSite: 'Lax' }] } },
  { getCookies: { name: 'cookies', names: ['session'] } },
  { clearStorage: {} },
  { evaluate: { name: 'count', expression: 'document.querySelectorAll("li").length' } },
  { upload: { selector: '#receipt', file: 'receipt' } },
  { if: { exists: '#cookie-banner', waitMs: 300 }, then: [{ click: '#accept-cookies' }] },
  {
    forEach: { selector: 'li.result', as: 'results', max: 50 },
    do: [{ extract: { name: 'title', selector: 'a' } }],
  },
  { paginate: { next: 'a.next', max: 3, until: { urlContains: 'page=3' } }, do: [{ sleep: 1 }] },
  { frame: 'iframe#reviews', do: [{ extract: { name: 'rating', selector: '#rating' } }] },
  { tab: { click: 'button#place-order' }, do: [{ waitForText: { text: 'Order confirmed' } }] },
];

describe('step language, second edition', () => {
  it('accepts one of every kind and names each kind', () => {
    const parsed = stepsSchema.parse(EVERY_KIND);
    expect(parsed.map(stepKind)).toEqual([...STEP_KINDS]);
  });

  it('finds the kind whatever the key order of an if step', () => {
    const step = stepsSchema.parse([{ then: [{ click: 'a' }], if: { visible: '#x', not: true } }])[0]!;
    expect(stepKind(step)).toBe('if');
  });

  it.each<[unknown, string, RegExp]>([
    [{ if: { exists: '#a', visible: '#b' }, then: [{ click: 'a' }] }, '[0].if', /exactly one of exists/],
    [{ if: { exists: '#a' } }, '[0].then', /expected array/],
    [{ if: { exists: '#a' }, then: [] }, '[0].then', /Too small/],
    [{ forEach: { selector: 'li', as: 'rows', max: 1001 }, do: [{ click: 'a' }] }, '[0].forEach.max', /1000/],
    [{ forEach: { selector: 'li', as: '1rows' }, do: [{ click: 'a' }] }, '[0].forEach.as', /letters/],
    [{ paginate: { next: 'a', max: 101 }, do: [{ click: 'a' }] }, '[0].paginate.max', /100/],
    [{ paginate: { next: 'a', until: {} }, do: [{ click: 'a' }] }, '[0].paginate.until', /exactly one/],
    [{ frame: 'iframe', do: [{ click: 3 }] }, '[0].do[0].click', /expected string/],
    [{ tab: { click: 'a', close: 'yes' }, do: [{ click: 'a' }] }, '[0].tab.close', /expected boolean/],
    [{ select: { selector: 's' } }, '[0].select', /exactly one of value, label, index/],
    [{ select: { selector: 's', value: 'a', index: 1 } }, '[0].select', /exactly one/],
    [{ press: { keys: '' } }, '[0].press.keys', /Too small/],
    [{ press: { keys: 'Control+a  Delete' } }, '[0].press.keys', /single spaces/],
    [{ scroll: { to: 'a', by: { y: 10 } } }, '[0].scroll', /exactly one of to, by, bottom/],
    [{ scroll: { bottom: { max: 201 } } }, '[0].scroll.bottom.max', /200/],
    [{ waitForUrl: { matches: '([' } }, '[0].waitForUrl.matches', /regular expression/],
    [{ waitForUrl: {} }, '[0].waitForUrl', /exactly one of contains, matches/],
    [{ waitForText: { text: 'x', timeoutMs: 120_001 } }, '[0].waitForText.timeoutMs', /120000/],
    [{ setCookies: { cookies: [] } }, '[0].setCookies.cookies', /Too small/],
    [
      { setCookies: { cookies: [{ name: 'a', value: 'b', sameSite: 'lax' }] } },
      '[0].setCookies.cookies[0].sameSite',
      /Lax/,
    ],
    [{ setCookies: {} }, '[0].setCookies', /exactly one of cookies, json/],
    [{ getCookies: { name: 'c', names: [] } }, '[0].getCookies.names', /Too small/],
    [{ clearStorage: { cookies: 'all' } }, '[0].clearStorage.cookies', /expected boolean/],
    [{ evaluate: { name: 'x', expression: 'a'.repeat(10_001) } }, '[0].evaluate.expression', /10000/],
    [{ upload: { selector: '#f', file: '../etc/passwd' } }, '[0].upload.file', /letters/],
    [{ extract: { name: 'x', selector: 'table', table: true, attr: 'href' } }, '[0].extract', /table/],
    [{ extract: { name: 'x', selector: 'b', type: 'date' } }, '[0].extract.type', /string/],
    [{ type: { selector: 'a', text: 'b', delayMs: 1001 } }, '[0].type.delayMs', /1000/],
  ])('rejects %j at %s', (step, field, message) => {
    const result = createBatchBodySchema.safeParse({ steps: [step], items: [{}] });
    expect(result.success).toBe(false);
    const details = result.success ? [] : zodDetails(result.error);
    expect(details).toContainEqual({ field: `steps${field}`, message: expect.stringMatching(message) });
  });

  it('names the step kinds for an object that is none of them', () => {
    const result = createBatchBodySchema.safeParse({ steps: [{ nope: 1 }], items: [{}] });
    expect(result.success).toBe(false);
    if (!result.success) {
      expect(zodDetails(result.error)).toEqual([
        { field: 'steps[0]', message: expect.stringMatching(/exactly one of: goto, click, .*, tab$/) },
      ]);
    }
    // then without if: the if kind is the one meant, and its key is missing.
    const noIf = createBatchBodySchema.safeParse({ steps: [{ then: [{ click: 'a' }] }], items: [{}] });
    expect(noIf.success).toBe(false);
    if (!noIf.success) {
      expect(zodDetails(noIf.error)).toEqual([
        { field: 'steps[0].if', message: expect.stringMatching(/expected object/) },
      ]);
    }
  });

  it('counts nested steps against MAX_STEPS and nesting against MAX_DEPTH', () => {
    const wide: Step[] = [{ frame: 'f', do: Array.from({ length: MAX_STEPS }, () => ({ click: 'a' })) }];
    expect(stepCounts(wide)).toEqual({ steps: MAX_STEPS + 1, depth: 1 });
    const tooMany = stepsSchema.safeParse(wide);
    expect(tooMany.success).toBe(false);
    if (!tooMany.success) expect(zodDetails(tooMany.error)[0]?.message).toMatch(/201 steps counting nested/);

    let deep: Step[] = [{ click: 'a' }];
    for (let i = 0; i < MAX_DEPTH; i++) deep = [{ frame: 'f', do: deep }];
    expect(stepsSchema.safeParse(deep).success).toBe(true);
    deep = [{ frame: 'f', do: deep }];
    const tooDeep = stepsSchema.safeParse(deep);
    expect(tooDeep.success).toBe(false);
    if (!tooDeep.success)
      expect(zodDetails(tooDeep.error)[0]?.message).toMatch(/nest 6 levels deep: at most 5/);
  });

  it('fills variables and checks gotos in nested steps too', () => {
    const steps = stepsSchema.parse([
      { if: { exists: '#{{id}}' }, then: [{ goto: '{{next}}' }], else: [{ goto: 'https://a.test/{{q}}' }] },
    ]);
    expect(varsUsed(steps)).toEqual(['id', 'next', 'q']);
    const { steps: out, problems } = interpolateSteps(steps, {
      id: 'banner',
      next: 'javascript:x',
      q: 'lamp',
    });
    expect(out[0]).toEqual({
      if: { exists: '#banner' },
      then: [{ goto: 'javascript:x' }],
      else: [{ goto: 'https://a.test/lamp' }],
    });
    expect(problems).toEqual([
      { field: 'steps[0].then[0].goto', message: expect.stringMatching(/not an http/) },
    ]);
  });

  it('checks batch files: names, sizes, and that uploads name one', () => {
    const steps = [{ frame: 'f', do: [{ upload: { selector: '#f', file: 'receipt' } }] }];
    expect(filesUsed(stepsSchema.parse(steps))).toEqual(['receipt']);
    const file = { name: 'receipt', filename: 'receipt.txt', type: 'text/plain', contentBase64: 'aGVsbG8=' };
    expect(createBatchBodySchema.safeParse({ steps, items: [{}], files: [file] }).success).toBe(true);

    const missing = createBatchBodySchema.safeParse({ steps, items: [{}] });
    expect(missing.success).toBe(false);
    if (!missing.success) {
      expect(zodDetails(missing.error)).toEqual([
        {
          field: 'steps',
          message: expect.stringMatching(/names file "receipt", which is not in the batch's files/),
        },
      ]);
    }
    const twice = createBatchBodySchema.safeParse({ steps, items: [{}], files: [file, file] });
    expect(twice.success).toBe(false);
    const big = { ...file, contentBase64: 'A'.repeat(1_400_000) };
    const tooBig = createBatchBodySchema.safeParse({ steps, items: [{}], files: [big] });
    expect(tooBig.success).toBe(false);
    const slash = createBatchBodySchema.safeParse({
      steps,
      items: [{}],
      files: [{ ...file, filename: 'a/b' }],
    });
    expect(slash.success).toBe(false);
  });
});
