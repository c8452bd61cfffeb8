import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchIdOfArtifact } from '@fleet/core';
import { FileArtifactStore, isArtifactId } from './artifact-store.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-artifact-store-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

const png = { type: 'image/png' };

test('put stores <id>.png and <id>.json; get answers them', async () => {
  const store = new FileArtifactStore(join(dir, 'nested', 'artifacts'));
  const id = await store.put(PNG, { itemId: 'b:0', name: 'home', ...png });
  expect(isArtifactId(id)).toBe(true);
  const got = await store.get(id);
  expect(got).toEqual({ bytes: PNG, itemId: 'b:0', name: 'home', type: 'image/png' });
  const files = readdirSync(join(dir, 'nested', 'artifacts')).sort();
  expect(files).toEqual([`${id}.json`, `${id}.png`].sort());
  const meta = JSON.parse(readFileSync(join(dir, 'nested', 'artifacts', `${id}.json`), 'utf8'));
  expect(meta).toEqual({
    itemId: 'b:0',
    name: 'home',
    type: 'image/png',
    createdAt: expect.any(String),
    bytes: PNG.byteLength,
  });
  expect(Number.isNaN(Date.parse(meta.createdAt))).toBe(false);
});

test('any bytes with their type: html, text, json and other types each in their own file', async () => {
  const store = new FileArtifactStore(dir);
  const cases = [
    ['text/html; charset=utf-8', 'html'],
    ['text/plain; charset=utf-8', 'txt'],
    ['application/json', 'bin'],
    ['application/pdf', 'bin'],
  ] as const;
  for (const [type, ext] of cases) {
    const bytes = Buffer.from(`<p>${type}</p>`);
    const id = await store.put(bytes, { itemId: 'b.1', name: 'x', type });
    expect(readdirSync(dir)).toContain(`${id}.${ext}`);
    const got = await store.get(id);
    expect(got?.type).toBe(type);
    expect(Buffer.from(got!.bytes).equals(bytes)).toBe(true);
  }
});

test('a type that is not a media type is refused (it would end up in a header)', async () => {
  const store = new FileArtifactStore(dir);
  for (const type of ['', 'png', 'text/html\r\nx-evil: 1', 'text/html; script=1', 'TEXT/HTML']) {
    await expect(store.put(PNG, { itemId: 'b.1', name: 'x', type })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  }
  expect(readdirSync(dir)).toEqual([]);
});

test('an artifact stored before types existed (no type in its meta) is read as image/png', async () => {
  const store = new FileArtifactStore(dir);
  const id = 'Abcdefghijklmnopqrstuv';
  writeFileSync(join(dir, `${id}.png`), PNG);
  writeFileSync(
    join(dir, `${id}.json`),
    JSON.stringify({ itemId: 'old.0', name: 'home', createdAt: new Date().toISOString(), bytes: 11 }),
  );
  expect(await store.get(id)).toEqual({
    bytes: Uint8Array.from(PNG),
    itemId: 'old.0',
    name: 'home',
    type: 'image/png',
  });
  await store.remove(id);
  expect(readdirSync(dir)).toEqual([]);
});

test('batchIdOfArtifact: the part of the itemId before the first dot', () => {
  expect(batchIdOfArtifact('abc_D-1.17')).toBe('abc_D-1');
  expect(batchIdOfArtifact('abc.files')).toBe('abc');
  expect(batchIdOfArtifact('abc')).toBe('abc');
  expect(batchIdOfArtifact('../x.1')).toBeNull();
  expect(batchIdOfArtifact('')).toBeNull();
});

test('sweep removes the artifacts of batches that are gone, old enough, and leftovers of dead puts', async () => {
  const store = new FileArtifactStore(dir);
  const live = await store.put(PNG, { itemId: 'live.0', name: 'a', ...png });
  const gone = await store.put(Buffer.from('<p>'), { itemId: 'gone.3', name: 'html', type: 'text/html' });
  const goneBatchFile = await store.put(PNG, { itemId: 'gone', name: 'upload', type: 'application/pdf' });
  writeFileSync(join(dir, 'Zbcdefghijklmnopqrstuv.png'), PNG); // data without meta
  writeFileSync(join(dir, 'Ybcdefghijklmnopqrstuv.png.abc.tmp'), PNG); // a put's temporary file
  writeFileSync(join(dir, 'README'), 'not ours');
  const old = new Date(Date.now() - 120_000);
  for (const f of ['Zbcdefghijklmnopqrstuv.png', 'Ybcdefghijklmnopqrstuv.png.abc.tmp'])
    utimesSync(join(dir, f), old, old);
  const asked: string[] = [];
  const removed = await store.sweep({
    batchExists: async (id) => {
      asked.push(id);
      return id === 'live';
    },
    minAgeMs: 60_000,
    // Every artifact is 2 minutes old by this clock.
    now: Date.now() + 120_000,
  });
  expect(removed).toBe(2);
  expect(asked.sort()).toEqual(['gone', 'live']);
  expect(await store.get(live)).not.toBeNull();
  expect(await store.get(gone)).toBeNull();
  expect(await store.get(goneBatchFile)).toBeNull();
  expect(readdirSync(dir).sort()).toEqual(['README', `${live}.json`, `${live}.png`].sort());
});

test("removeBatch removes one batch's artifacts, whatever their age, and nothing else", async () => {
  const store = new FileArtifactStore(dir);
  const gone = [
    await store.put(PNG, { itemId: 'b1.0', name: 'a', ...png }),
    await store.put(Buffer.from('t'), { itemId: 'b1.files', name: 'f', type: 'text/plain' }),
  ];
  const kept = [
    await store.put(PNG, { itemId: 'b10.0', name: 'a', ...png }),
    await store.put(PNG, { itemId: 'b2.1', name: 'a', ...png }),
  ];
  writeFileSync(join(dir, 'Xbcdefghijklmnopqrstuv.png.abc.tmp'), PNG); // another put's, in flight
  expect(await store.removeBatch('b1')).toBe(2);
  for (const id of gone) expect(await store.get(id)).toBeNull();
  for (const id of kept) expect(await store.get(id)).not.toBeNull();
  expect(readdirSync(dir)).toContain('Xbcdefghijklmnopqrstuv.png.abc.tmp');
  expect(await new FileArtifactStore(join(dir, 'none')).removeBatch('b1')).toBe(0);
});

test('sweep keeps artifacts younger than minAgeMs, and removes nothing when batchExists throws', async () => {
  const store = new FileArtifactStore(dir);
  const a = await store.put(PNG, { itemId: 'gone.0', name: 'a', ...png });
  expect(await store.sweep({ batchExists: async () => false, minAgeMs: 60_000 })).toBe(0);
  await expect(
    store.sweep({
      batchExists: async () => {
        throw new Error('redis down');
      },
      minAgeMs: 0,
    }),
  ).rejects.toThrow('redis down');
  expect(await store.get(a)).not.toBeNull();
  expect(
    await new FileArtifactStore(join(dir, 'none')).sweep({ batchExists: async () => false, minAgeMs: 0 }),
  ).toBe(0);
});

test('ids are random, url-safe and distinct', async () => {
  const store = new FileArtifactStore(dir);
  const ids = await Promise.all(
    Array.from({ length: 50 }, () => store.put(PNG, { itemId: 'b:1', name: 'x', ...png })),
  );
  expect(new Set(ids).size).toBe(50);
  for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  // No temporary file is left behind.
  expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
});

test('get answers null for unknown ids and never reads outside the directory', async () => {
  const store = new FileArtifactStore(join(dir, 'artifacts'));
  writeFileSync(join(dir, 'secret.json'), JSON.stringify({ itemId: 'x', name: 'y' }));
  writeFileSync(join(dir, 'secret.png'), 'not yours');
  for (const id of [
    '../secret',
    '..%2Fsecret',
    '',
    'a'.repeat(21),
    'a'.repeat(23),
    `${'a'.repeat(21)}/`,
    'A'.repeat(22),
  ]) {
    expect(await store.get(id)).toBeNull();
  }
});

test('a PNG without its meta (a put that died half-way) is unknown', async () => {
  const store = new FileArtifactStore(dir);
  const id = await store.put(PNG, { itemId: 'b:2', name: 'x', ...png });
  rmSync(join(dir, `${id}.json`));
  expect(await store.get(id)).toBeNull();
});
