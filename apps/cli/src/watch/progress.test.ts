import { PassThrough } from 'node:stream';
import { duration } from '../table.js';
import { mergeProgress, RateMeter, renderBar } from './progress.js';
import { BarView } from './progress-view.js';

describe('progress', () => {
  it('merges counts from events that arrive out of order: they never go back', () => {
    const a = { total: 10, completed: 4, failed: 1 };
    expect(mergeProgress(a, { total: 10, completed: 3, failed: 2 })).toEqual({
      total: 10,
      completed: 4,
      failed: 2,
    });
    expect(mergeProgress(a, undefined)).toEqual(a);
  });

  it('measures the rate over its window', () => {
    const meter = new RateMeter(10_000);
    expect(meter.rate(0)).toBeNull();
    meter.sample(0, 0);
    meter.sample(2000, 4);
    expect(meter.rate(2000)).toBe(2);
    meter.sample(30_000, 10);
    // The window forgets the first samples: 6 items in 28 s.
    expect(meter.rate(30_000)).toBeCloseTo(6 / 28);
  });

  it('draws done/failed/total, the rate and the ETA on one line that fits', () => {
    const line = renderBar({ progress: { total: 12, completed: 5, failed: 1 }, rate: 2 }, 100, duration);
    expect(line).toMatch(/^\[#+-+\] 6\/12 {2}done 5 {2}failed 1 {2}2\.0 items\/s {2}ETA 3\.0 s$/);
    expect(line.length).toBeLessThanOrEqual(100);
    const unknown = renderBar(
      { progress: { total: 3, completed: 0, failed: 0 }, rate: null, note: 'reconnecting' },
      200,
      duration,
    );
    expect(unknown).toMatch(/^\[-+\] 0\/3 {2}done 0 {2}failed 0 {2}-- items\/s {2}ETA -- {2}reconnecting$/);
    expect(
      renderBar({ progress: { total: 2, completed: 2, failed: 0 }, rate: 1 }, 30, duration).length,
    ).toBeLessThanOrEqual(30);
    expect(renderBar({ progress: { total: 2, completed: 2, failed: 0 }, rate: 1 }, 200, duration)).toMatch(
      /^\[#{10,}\] 2\/2 {2}done 2 {2}failed 0 {2}1\.0 items\/s$/,
    );
  });
});

describe('BarView (a terminal)', () => {
  it('redraws one line in place, prints failures above it, and ends the line on close', () => {
    let written = '';
    const out = {
      print: (text: string) => {
        written += `${text}\n`;
      },
      write: (text: string) => {
        written += text;
      },
      stream: new PassThrough(),
      isTTY: true,
      columns: 80,
    };
    let now = 0;
    const view = new BarView(out, () => now);
    view.started({ total: 4, completed: 0, failed: 0 });
    now = 1000;
    view.item(
      { type: 'item.completed', batchId: 'b', itemId: 'b.0', at: 0, data: { durationMs: 10 } },
      { total: 4, completed: 1, failed: 0 },
    );
    now = 2000;
    view.item(
      {
        type: 'item.failed',
        batchId: 'b',
        itemId: 'b.3',
        at: 0,
        data: { error: { code: 'STEP_FAILED', step: 2 } },
      },
      { total: 4, completed: 1, failed: 1 },
    );
    view.close();
    const frames = written.split('\r\x1b[2K').filter((f) => f !== '');
    expect(frames.at(-1)).toMatch(/^\[#+-+\] 2\/4 {2}done 1 {2}failed 1 {2}1\.0 items\/s {2}ETA 2\.0 s\n$/);
    expect(frames).toContain('item 3 failed: STEP_FAILED at step 2\n');
    expect(written.endsWith('\n')).toBe(true);
  });
});
