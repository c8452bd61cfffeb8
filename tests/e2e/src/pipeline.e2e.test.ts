/**
 * The item pipeline end to end on real Redis, the real launcher and real Chromium:
 * lease → preconfigure → start → drive → record → release → publish.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Step } from '@fleet/contracts';
import { FIXTURE_COOKIE } from '@fleet/testing';
import { Fleet } from './harness.js';

let fleet: Fleet;
beforeAll(async () => {
  fleet = await Fleet.start({ profiles: 3 });
});
afterAll(() => fleet?.close());

function pngSize(file: string): { width: number; height: number } {
  const png = readFileSync(file);
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a'); // PNG signature
  expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

it('runs 20 items over 3 profiles: each recorded once, right data, events, no profile shared at once', async () => {
  const worker = await fleet.startWorker({ workerConcurrency: 3 });
  const site = fleet.site.url;
  const steps: Step[] = [
    { goto: `${site}/cookie` },
    { goto: `${site}/?item={{n}}&phase=start` },
    { extract: { name: 'heading', selector: '#heading' } },
    { extract: { name: 'names', selector: '.product .name', all: true } },
    { extract: { name: 'link', selector: '#to-cookie', attr: 'href' } },
    { type: { selector: '#query', text: 'item {{n}}' } },
    { click: '#add' },
    { assertText: { selector: '#count', contains: '1' } },
    { screenshot: { name: 'page' } },
    { sleep: 150 },
    { goto: `${site}/?item={{n}}&phase=end` },
  ];
  const items = Array.from({ length: 20 }, (_, n) => ({ n }));
  const batchId = await fleet.submit(steps, items);
  const events = await fleet.waitForBatch(batchId);

  const results = await fleet.resultsOf(batchId, 20);
  for (const result of results) {
    expect(result).toMatchObject({
      state: 'completed',
      data: { heading: 'Products', names: ['Anvil', 'Bucket', 'Crate'], link: '/cookie' },
      title: 'Fleet fixture: products',
    });
    expect(fleet.profileIds).toContain(result?.profileId);
    const { width, height } = pngSize(join(fleet.settings().artifactsDir, `${result?.artifacts.page}.png`));
    expect(width * height).toBeGreaterThan(0);
  }
  expect(await fleet.batches.get(batchId)).toMatchObject({ status: 'completed', completed: 20, failed: 0 });

  // Events: every item completed once, exactly one batch.completed.
  const completed = events.filter((e) => e.type === 'item.completed').map((e) => e.itemId);
  expect(completed.sort()).toEqual(items.map((_, n) => `${batchId}.${n}`).sort());
  expect(events.filter((e) => e.type === 'batch.completed')).toHaveLength(1);
  expect(events.every((e) => typeof e.id === 'string')).toBe(true);

  // No two items on one profile at once: the site saw each profile's cookie in disjoint intervals.
  const intervals = new Map<string, { start?: number; end?: number; item: string }[]>();
  for (const visit of fleet.site.visits) {
    const m = /[?&]item=(\d+)&phase=(start|end)/.exec(visit.path);
    const cookie = visit.cookie?.match(new RegExp(`${FIXTURE_COOKIE}=([0-9a-f]+)`))?.[1];
    if (!m || !cookie) continue;
    const list = intervals.get(cookie) ?? [];
    let entry = list.find((x) => x.item === m[1]);
    if (!entry) {
      entry = { item: m[1]! };
      list.push(entry);
    }
    entry[m[2] as 'start' | 'end'] = visit.at;
    intervals.set(cookie, list);
  }
  expect(intervals.size).toBeLessThanOrEqual(3); // one cookie per profile
  const all = [...intervals.values()].flat();
  expect(all).toHaveLength(20);
  for (const list of intervals.values()) {
    list.sort((a, b) => a.start! - b.start!);
    for (let i = 1; i < list.length; i++) expect(list[i]!.start!).toBeGreaterThanOrEqual(list[i - 1]!.end!);
  }

  // Warm profiles: three browser starts served twenty items.
  expect(worker.sessions.stats.starts).toBeLessThanOrEqual(3);
  expect(worker.sessions.stats.starts + worker.sessions.stats.warmReuses).toBeGreaterThanOrEqual(20);
});
