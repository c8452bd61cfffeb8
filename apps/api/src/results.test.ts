import type { AddressInfo } from 'node:net';
import type { BatchView, ItemResult, ItemView } from '@fleet/contracts';
import { RedisResultStore } from '@fleet/redis';
import { csvField } from './routes/results-route.js';
import { ACME_KEY, auth, batchBody, json, OPS_KEY, OTHER_KEY, useTestApi } from './test-app.js';

/** RFC 4180 rows (quoted fields may hold commas, quotes and line breaks), for checking the export. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) throw new Error('the CSV does not end with CRLF');
  return rows;
}

describe('GET /v1/batches/:id/results', () => {
  const t = useTestApi([{ id: 'p1', pool: 'default' }]);
  let base: string;
  let results: RedisResultStore;

  beforeAll(async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    results = new RedisResultStore(t.redis, t.prefix);
  });

  const get = (path: string, key: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { headers: { ...auth(key), ...headers } });

  async function submit(key: string, items: number): Promise<string> {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: auth(key),
      payload: batchBody(items),
    });
    expect(res.statusCode).toBe(202);
    return json<BatchView>(res).id;
  }

  const done = (over: Partial<ItemResult>): ItemResult => ({
    state: 'completed',
    data: {},
    artifacts: {},
    url: 'https://example.test/p',
    title: 'T',
    profileId: 'p1',
    attempts: 1,
    durationMs: 12,
    finishedAt: Date.UTC(2026, 0, 2, 3, 4, 5),
    ...over,
  });

  /** A batch of 5: completed (with a screenshot), failed (with an error), running, queued, completed. */
  async function mixedBatch(): Promise<string> {
    const id = await submit(ACME_KEY, 5);
    await results.record(
      { batchId: id, index: 0 },
      0,
      done({ data: { price: 12.5, name: 'Lamp, "big"\nmodel' }, artifacts: { home: 'A'.repeat(22) } }),
    );
    await results.record(
      { batchId: id, index: 1 },
      0,
      done({
        state: 'failed',
        profileId: null,
        url: null,
        title: null,
        attempts: 3,
        error: { code: 'SELECTOR_NOT_FOUND', message: 'no "h1", within 5000 ms', step: 1, path: 'steps[1]' },
      }),
    );
    expect(await results.claim({ batchId: id, index: 2 }, 7, Date.now() + 60_000)).toBe('claimed');
    await results.record({ batchId: id, index: 4 }, 0, done({ data: { tags: ['a', 'b'], title: 'x' } }));
    return id;
  }

  it('streams JSON Lines by default: every item in index order, as /items shows it', async () => {
    const id = await mixedBatch();
    const res = await get(`/v1/batches/${id}/results`, ACME_KEY);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${id}.jsonl"`);
    const body = await res.text();
    expect(body.endsWith('\n')).toBe(true);
    const lines = body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as ItemView);
    expect(lines.map((i) => [i.index, i.state])).toEqual([
      [0, 'completed'],
      [1, 'failed'],
      [2, 'running'],
      [3, 'queued'],
      [4, 'completed'],
    ]);
    const page = json<{ items: ItemView[] }>(
      await t.app.inject({ url: `/v1/batches/${id}/items`, headers: auth(ACME_KEY) }),
    );
    expect(lines).toEqual(page.items);
    expect(lines[1]?.error).toEqual({
      code: 'SELECTOR_NOT_FOUND',
      message: 'no "h1", within 5000 ms',
      step: 1,
      path: 'steps[1]',
    });
    const failed = await (await get(`/v1/batches/${id}/results?state=failed`, ACME_KEY)).text();
    expect(
      failed
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as ItemView).index),
    ).toEqual([1]);
    // Accept is honoured only for text/csv: anything else (JSON, garbage) is JSON Lines.
    for (const accept of ['application/json', '*/*', 'nonsense;;', 'text/csv;q=0']) {
      const other = await get(`/v1/batches/${id}/results`, ACME_KEY, { accept });
      expect([accept, other.headers.get('content-type')]).toEqual([accept, 'application/x-ndjson']);
      await other.text();
    }
  });

  it('streams CSV for Accept: text/csv or format=csv: data names as columns, RFC 4180 quoting', async () => {
    const id = await mixedBatch();
    const res = await get(`/v1/batches/${id}/results`, ACME_KEY, { accept: 'text/html, text/csv;q=0.9' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${id}.csv"`);
    const text = await res.text();
    const rows = parseCsv(text);
    // "title" is also a fixed column: the data name is written data.title.
    expect(rows[0]).toEqual([
      'index',
      'state',
      'price',
      'name',
      'tags',
      'data.title',
      'url',
      'title',
      'error_code',
      'error_message',
      'error_path',
      'attempts',
      'duration_ms',
      'finished_at',
      'profile_id',
      'artifacts',
    ]);
    const at = '2026-01-02T03:04:05.000Z';
    expect(rows.slice(1)).toEqual([
      [
        '0',
        'completed',
        '12.5',
        'Lamp, "big"\nmodel',
        '',
        '',
        'https://example.test/p',
        'T',
        '',
        '',
        '',
        '1',
        '12',
        at,
        'p1',
        JSON.stringify({ home: `/v1/artifacts/${'A'.repeat(22)}` }),
      ],
      [
        '1',
        'failed',
        '',
        '',
        '',
        '',
        '',
        '',
        'SELECTOR_NOT_FOUND',
        'no "h1", within 5000 ms',
        'steps[1]',
        '3',
        '12',
        at,
        '',
        '',
      ],
      ['2', 'running', '', '', '', '', '', '', '', '', '', '0', '', '', '', ''],
      ['3', 'queued', '', '', '', '', '', '', '', '', '', '0', '', '', '', ''],
      [
        '4',
        'completed',
        '',
        '',
        '["a","b"]',
        'x',
        'https://example.test/p',
        'T',
        '',
        '',
        '',
        '1',
        '12',
        at,
        'p1',
        '',
      ],
    ]);
    // The quoting as written: quotes doubled inside a quoted field, the line break kept.
    expect(text).toContain('"Lamp, ""big""\nmodel"');
    const byFormat = await get(`/v1/batches/${id}/results?format=csv&state=failed`, ACME_KEY);
    const failedRows = parseCsv(await byFormat.text());
    expect(failedRows.map((r) => r[0])).toEqual(['index', '1']);
    // format wins over Accept.
    const jsonl = await get(`/v1/batches/${id}/results?format=jsonl`, ACME_KEY, { accept: 'text/csv' });
    expect(jsonl.headers.get('content-type')).toBe('application/x-ndjson');
    await jsonl.text();
  });

  it('a cancelled batch exports its open items as cancelled', async () => {
    const id = await submit(ACME_KEY, 3);
    await results.record({ batchId: id, index: 0 }, 0, done({}));
    await t.app.inject({ method: 'POST', url: `/v1/batches/${id}/cancel`, headers: auth(ACME_KEY) });
    const rows = parseCsv(await (await get(`/v1/batches/${id}/results?format=csv`, ACME_KEY)).text());
    expect(rows.slice(1).map((r) => r[1])).toEqual(['completed', 'cancelled', 'cancelled']);
  });

  it("answers 404 for an unknown batch and another tenant's; admin sees every batch", async () => {
    const id = await mixedBatch();
    for (const [path, key] of [
      [`/v1/batches/${id}/results`, OTHER_KEY],
      [`/v1/batches/${id}/results?format=csv`, OTHER_KEY],
      ['/v1/batches/nosuchbatch0000/results', ACME_KEY],
    ] as const) {
      const res = await get(path, key);
      expect([path, res.status]).toEqual([path, 404]);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const batch = path.split('/')[3];
      expect(await res.json()).toEqual({
        error: { code: 'BATCH_NOT_FOUND', message: `batch "${batch}" was not found`, details: [] },
      });
    }
    const admin = await get(`/v1/batches/${id}/results`, OPS_KEY);
    expect(admin.status).toBe(200);
    expect((await admin.text()).trimEnd().split('\n')).toHaveLength(5);
    expect((await fetch(`${base}/v1/batches/${id}/results`)).status).toBe(401);
    const bad = await get(`/v1/batches/${id}/results?format=xml&state=odd`, ACME_KEY);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
  });

  it('a batch with no data at all still has the fixed columns', async () => {
    const id = await submit(OTHER_KEY, 1);
    const rows = parseCsv(
      await (await get(`/v1/batches/${id}/results`, OTHER_KEY, { accept: 'text/csv' })).text(),
    );
    expect(rows[0]?.slice(0, 3)).toEqual(['index', 'state', 'url']);
    expect(rows).toHaveLength(2);
  });
});

describe('csvField', () => {
  it('quotes only what must be, doubles quotes, writes non-strings as JSON', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(0)).toBe('0');
    expect(csvField(false)).toBe('false');
    expect(csvField({ a: 'x,y' })).toBe('"{""a"":""x,y""}"');
  });

  it('defuses strings a spreadsheet would run as formulas, and only strings', () => {
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-5')).toBe("'-5");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\t=1')).toBe("'\t=1");
    expect(csvField(-5)).toBe('-5');
    expect(csvField('a=b')).toBe('a=b');
  });
});
