import { parseSamples, sampleSum } from './exposition.js';

const TEXT = `# HELP fleet_items_total Items.
# TYPE fleet_items_total counter
fleet_items_total{state="completed"} 4
fleet_items_total{state="failed",code="ASSERTION_FAILED"} 1
fleet_items_total{state="failed",code="NAV \\"x\\""} 2
process_start_time_seconds 1700000000
`;

describe('exposition parsing', () => {
  it('reads samples with their labels', () => {
    expect(parseSamples(TEXT)).toEqual([
      { name: 'fleet_items_total', labels: { state: 'completed' }, value: 4 },
      { name: 'fleet_items_total', labels: { state: 'failed', code: 'ASSERTION_FAILED' }, value: 1 },
      { name: 'fleet_items_total', labels: { state: 'failed', code: 'NAV "x"' }, value: 2 },
      { name: 'process_start_time_seconds', labels: {}, value: 1700000000 },
    ]);
  });

  it('sums the samples whose labels include the given ones', () => {
    expect(sampleSum(TEXT, 'fleet_items_total')).toBe(7);
    expect(sampleSum(TEXT, 'fleet_items_total', { state: 'failed' })).toBe(3);
    expect(sampleSum(TEXT, 'fleet_items_total', { state: 'cancelled' })).toBeUndefined();
  });
});
