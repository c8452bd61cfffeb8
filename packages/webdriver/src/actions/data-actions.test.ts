import { parseCookieJson } from './cookie-actions.js';
import { parseNumber, tableKeys } from './extract-action.js';
import { useActionFixture } from './test-fixture.js';

const fx = useActionFixture();

describe('extract: table and typed values', () => {
  test('tables as records keyed by headers (thead or first row); numbers and JSON', async () => {
    const out = await fx.run([
      { goto: `${fx.site.url}/table` },
      { extract: { name: 'prices', selector: '#prices', table: true } },
      { extract: { name: 'people', selector: '#plain', table: true } },
      { extract: { name: 'noTable', selector: '#absent', table: true } },
      { extract: { name: 'numbers', selector: '.price', all: true, type: 'number' } },
      { extract: { name: 'first', selector: '.price', type: 'number' } },
      { extract: { name: 'json', selector: '#json-data', type: 'json' } },
      { extract: { name: 'attr', selector: '#json-attr', attr: 'data-json', type: 'json' } },
      { extract: { name: 'missingJson', selector: '#absent', type: 'json' } },
    ]);
    expect(out.data).toEqual({
      prices: [
        { Product: 'Lamp', Price: '€1,234.50', col3: 'x', col4: 'a', col5: 'b' },
        { Product: 'Desk', Price: '12,50 €', col3: 'y', col4: 'c', col5: 'd' },
      ],
      people: [
        { Name: 'Ada', Age: '36' },
        { Name: 'Alan', Age: '41' },
      ],
      noTable: null,
      numbers: [9.99, 1234567, null, -3],
      first: 9.99,
      json: { a: [1, 2], b: 'c' },
      attr: { ok: true },
      missingJson: null,
    });
  });

  test('text that is not JSON, or a table selector on another element → EXTRACT_INVALID', async () => {
    const json = await fx.fail([
      { goto: `${fx.site.url}/table` },
      { extract: { name: 'bad', selector: '#bad-json', type: 'json' } },
    ]);
    expect(json.code).toBe('EXTRACT_INVALID');
    expect(json.message).toContain('extract "bad" is not JSON');
    expect(json.details[0]).toMatchObject({ step: 1, kind: 'extract' });
    const table = await fx.fail([
      { goto: `${fx.site.url}/table` },
      { extract: { name: 't', selector: '#bad-json', table: true } },
    ]);
    expect([table.code, table.message]).toEqual([
      'EXTRACT_INVALID',
      expect.stringContaining('is a <p>, not a <table>'),
    ]);
  });

  test('parseNumber reads prices of either convention', () => {
    expect(parseNumber('1,234.50')).toBe(1234.5);
    expect(parseNumber('€12,50')).toBe(12.5);
    expect(parseNumber('1.234,5 €')).toBe(1234.5);
    expect(parseNumber('1,234')).toBe(1234);
    expect(parseNumber('1 234 567')).toBe(1234567);
    expect(parseNumber('$0.99')).toBe(0.99);
    expect(parseNumber('- 7')).toBe(-7);
    expect(parseNumber('n/a')).toBeNull();
    expect(parseNumber('')).toBeNull();
  });

  test('tableKeys: empty and repeated headers become col<n>', () => {
    expect(tableKeys(['A', '', 'B', 'B'])).toEqual(['A', 'col2', 'col3', 'col4']);
  });
});

describe('cookies and storage', () => {
  test('setCookies (list and JSON), getCookies (HttpOnly too), clearStorage of the current site', async () => {
    // Chromium caps an expiry at 400 days: a month away stays as given.
    const expiry = Math.floor(Date.now() / 1000) + 30 * 86_400;
    const json = JSON.stringify([{ name: 'fromVar', value: 'v2', sameSite: 'Lax' }]);
    const out = await fx.run([
      { goto: `${fx.site.url}/set-cookie` },
      { setCookies: { cookies: [{ name: 'plain', value: 'v1', path: '/', expiry }] } },
      { setCookies: { json } },
      { getCookies: { name: 'all' } },
      { getCookies: { name: 'some', names: ['sid', 'plain'] } },
      { goto: `${fx.site.url}/data` },
      {
        evaluate: {
          name: 'storedBefore',
          expression: "[localStorage.getItem('k'), sessionStorage.getItem('s')]",
        },
      },
      { clearStorage: { cookies: false } },
      {
        evaluate: {
          name: 'storedAfter',
          expression: "[localStorage.getItem('k'), sessionStorage.getItem('s')]",
        },
      },
      { getCookies: { name: 'kept' } },
      { clearStorage: {} },
      { getCookies: { name: 'cleared' } },
    ]);
    const names = (list: unknown) => (list as Array<{ name: string }>).map((c) => c.name);
    expect(names(out.data.all)).toEqual(['fromVar', 'plain', 'sid']);
    expect(out.data.some).toEqual([
      {
        name: 'plain',
        value: 'v1',
        domain: '127.0.0.1',
        path: '/',
        secure: false,
        httpOnly: false,
        expiry,
        sameSite: 'Lax',
      },
      {
        name: 'sid',
        value: 'server-made',
        domain: '127.0.0.1',
        path: '/',
        secure: false,
        httpOnly: true,
        sameSite: 'Lax',
      },
    ]);
    expect(out.data.storedBefore).toEqual(['v', 'v']);
    expect(out.data.storedAfter).toEqual([null, null]);
    expect(names(out.data.kept)).toEqual(['fromVar', 'plain', 'sid']);
    expect(out.data.cleared).toEqual([]);
  });

  test('bad cookie JSON from a variable → STEP_INPUT_INVALID naming the problem, never the value', async () => {
    const error = await fx.fail([
      { goto: `${fx.site.url}/` },
      { setCookies: { json: JSON.stringify([{ name: 'a', value: 'topsecret', sameSite: 'Sometimes' }]) } },
    ]);
    expect(error.code).toBe('STEP_INPUT_INVALID');
    expect(error.message).toContain('0.sameSite');
    expect(error.message).not.toContain('topsecret');
    expect(() => parseCookieJson('{oops')).toThrow(/not valid JSON/);
    expect(() => parseCookieJson('[]')).toThrow(/not a list of 1-50 cookies/);
  });

  test('setCookies before any page → STEP_FAILED saying to navigate first', async () => {
    const error = await fx.fail([
      { goto: `${fx.site.url}/` },
      { setCookies: { cookies: [{ name: 'a', value: 'b', domain: 'example.com' }] } },
    ]);
    expect(error.code).toBe('STEP_FAILED');
    expect(error.message).toContain('goto its site first');
  });
});
