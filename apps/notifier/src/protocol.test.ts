import { compareStreamIds, parseStreamId, parseSubscribe } from './protocol.js';

describe('stream ids', () => {
  it('parses <ms>-<seq> with both parts unsigned 64-bit', () => {
    expect(parseStreamId('1718000000000-3')).toEqual([1718000000000n, 3n]);
    expect(parseStreamId('0-0')).toEqual([0n, 0n]);
    expect(parseStreamId('18446744073709551615-18446744073709551615')).not.toBeNull();
    for (const bad of ['', '1', '1-', '-1', '1-2-3', 'a-1', '1.5-0', ' 1-0', '18446744073709551616-0']) {
      expect(parseStreamId(bad)).toBeNull();
    }
  });

  it('compares numerically, not as text', () => {
    expect(compareStreamIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareStreamIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareStreamIds('10-10', '10-10')).toBe(0);
    expect(compareStreamIds('11-0', '10-99')).toBeGreaterThan(0);
    expect(() => compareStreamIds('x', '1-0')).toThrow(/not a stream id/);
  });
});

describe('subscribe payloads', () => {
  it('takes a batch (with an optional replay id) or all', () => {
    expect(parseSubscribe({ batchId: 'b-1' })).toEqual({ ok: true, value: { batchId: 'b-1' } });
    expect(parseSubscribe({ batchId: 'b-1', lastEventId: '5-1' })).toEqual({
      ok: true,
      value: { batchId: 'b-1', lastEventId: '5-1' },
    });
    expect(parseSubscribe({ all: true })).toEqual({ ok: true, value: { all: true } });
    expect(parseSubscribe({ batchId: 'b', all: true })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', details: [{ message: expect.stringMatching(/batchId/) }] },
    });
  });
});
