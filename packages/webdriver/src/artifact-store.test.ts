import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileArtifactStore, isArtifactId } from './artifact-store.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-artifact-store-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

test('put stores <id>.png and <id>.json; get answers them', async () => {
  const store = new FileArtifactStore(join(dir, 'nested', 'artifacts'));
  const id = await store.put(PNG, { itemId: 'b:0', name: 'home' });
  expect(isArtifactId(id)).toBe(true);
  const got = await store.get(id);
  expect(got).toEqual({ png: PNG, itemId: 'b:0', name: 'home' });
  const files = readdirSync(join(dir, 'nested', 'artifacts')).sort();
  expect(files).toEqual([`${id}.json`, `${id}.png`].sort());
  const meta = JSON.parse(readFileSync(join(dir, 'nested', 'artifacts', `${id}.json`), 'utf8'));
  expect(meta).toEqual({ itemId: 'b:0', name: 'home', createdAt: expect.any(String), bytes: PNG.byteLength });
  expect(Number.isNaN(Date.parse(meta.createdAt))).toBe(false);
});

test('ids are random, url-safe and distinct', async () => {
  const store = new FileArtifactStore(dir);
  const ids = await Promise.all(
    Array.from({ length: 50 }, () => store.put(PNG, { itemId: 'b:1', name: 'x' })),
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
  const id = await store.put(PNG, { itemId: 'b:2', name: 'x' });
  rmSync(join(dir, `${id}.json`));
  expect(await store.get(id)).toBeNull();
});
