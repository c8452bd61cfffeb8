import {
  fleetEventSchema,
  interpolateSteps,
  itemJobSchema,
  itemResultSchema,
  stepKind,
  stepSchema,
  stepsSchema,
  varsUsed,
  zodDetails,
} from './index.js';

describe('step language', () => {
  it('accepts every step kind', () => {
    const steps = [
      { goto: 'https://example.test/a' },
      { click: 'button.go' },
      { type: { selector: '#q', text: 'hello' } },
      { waitFor: { selector: '.done', timeoutMs: 5000 } },
      { extract: { name: 'links', selector: 'a', attr: 'href', all: true } },
      { screenshot: { name: 'page' } },
      { assertText: { selector: 'h1', contains: 'Welcome' } },
      { sleep: 250 },
    ];
    const parsed = stepsSchema.parse(steps);
    expect(parsed.map(stepKind)).toEqual([
      'goto',
      'click',
      'type',
      'waitFor',
      'extract',
      'screenshot',
      'assertText',
      'sleep',
    ]);
  });

  it.each<[unknown, string]>([
    [{ goto: 'file:///etc/passwd' }, 'goto'],
    [{ goto: 'javascript:alert(1)' }, 'goto'],
    [{ sleep: 60_001 }, 'sleep'],
    [{ click: '' }, 'click'],
    [{ click: 'a', extra: 1 }, 'unknown field'],
    [{ extract: { name: '1bad', selector: 'a' } }, 'extract name'],
    [{ waitFor: { selector: 'a', timeoutMs: -1 } }, 'timeout'],
    [{ hover2: 'a' }, 'unknown step'],
  ])('rejects %j (%s)', (step, _why) => {
    expect(stepSchema.safeParse(step).success).toBe(false);
  });

  it('rejects an empty step list and says where the problem is', () => {
    const result = stepsSchema.safeParse([{ goto: 'https://ok.test' }, { sleep: 'soon' }]);
    expect(result.success).toBe(false);
    if (!result.success) expect(zodDetails(result.error)[0]?.field).toMatch(/^\[1\]/);
    expect(stepsSchema.safeParse([]).success).toBe(false);
  });
});

describe('variables', () => {
  const steps = stepsSchema.parse([
    { goto: '{{base}}/search?q={{ query }}' },
    { type: { selector: '#q', text: 'hi {{name}}' } },
  ]);

  it('fills in {{var}} everywhere', () => {
    const { steps: out, problems } = interpolateSteps(steps, { base: 'https://a.test', query: 'x', name: 7 });
    expect(problems).toEqual([]);
    expect(out).toEqual([{ goto: 'https://a.test/search?q=x' }, { type: { selector: '#q', text: 'hi 7' } }]);
    expect(varsUsed(steps)).toEqual(['base', 'name', 'query']);
  });

  it('reports every missing variable with its place', () => {
    const { problems } = interpolateSteps(steps, { base: 'https://a.test' }, 'items[3].steps');
    expect(problems).toEqual([
      { field: 'items[3].steps[0].goto', message: 'variable "query" is not set for this item' },
      { field: 'items[3].steps[1].type.text', message: 'variable "name" is not set for this item' },
    ]);
  });

  it('refuses a goto that a variable turns into a non-http URL', () => {
    const { problems } = interpolateSteps(steps, { base: 'file://', query: 'x', name: 'n' });
    expect(problems).toEqual([
      { field: 'steps[0].goto', message: expect.stringMatching(/not an http\(s\) URL/) },
    ]);
  });
});

describe('item jobs, results and events', () => {
  it('fills defaults into an item job and refuses unknown fields', () => {
    const job = itemJobSchema.parse({
      batchId: 'b1',
      index: 0,
      selector: { pool: 'default' },
      steps: [{ goto: 'https://a.test' }],
    });
    expect(job.itemTimeoutMs).toBeGreaterThan(0);
    expect(itemJobSchema.safeParse({ ...job, password: 'x' }).success).toBe(false);
    expect(itemJobSchema.safeParse({ ...job, selector: { pool: 'a:{b}' } }).success).toBe(false);
  });

  it('takes a W3C traceparent in an item job and refuses anything else there', () => {
    const base = {
      batchId: 'b1',
      index: 0,
      selector: { pool: 'default' },
      steps: [{ goto: 'https://a.test' }],
    };
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(itemJobSchema.parse({ ...base, traceparent }).traceparent).toBe(traceparent);
    for (const bad of ['', 'x', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7', `${traceparent} `]) {
      expect(itemJobSchema.safeParse({ ...base, traceparent: bad }).success).toBe(false);
    }
  });

  it('validates results and events', () => {
    expect(
      itemResultSchema.safeParse({
        state: 'failed',
        data: {},
        artifacts: {},
        url: null,
        title: null,
        profileId: 'p1',
        attempts: 2,
        durationMs: 10,
        error: { code: 'ASSERTION_FAILED', message: 'no', step: 3 },
        finishedAt: 1,
      }).success,
    ).toBe(true);
    expect(
      fleetEventSchema.safeParse({ type: 'item.completed', batchId: 'b', at: 1, data: {} }).success,
    ).toBe(true);
    expect(fleetEventSchema.safeParse({ type: 'item.exploded', at: 1, data: {} }).success).toBe(false);
  });
});

describe('item ids', () => {
  it('round-trip and contain no colon (BullMQ refuses it in job ids)', async () => {
    const { itemId, parseItemId } = await import('./index.js');
    expect(itemId('b_1', 42)).toBe('b_1.42');
    expect(parseItemId('b_1.42')).toEqual({ batchId: 'b_1', index: 42 });
    expect(parseItemId('b:1.4')).toBeNull();
  });
});
