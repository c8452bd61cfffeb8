/**
 * JobCheck: the first job of each batch is parsed in full against the contract; later jobs of a
 * batch that passed are checked for the fields the worker reads only (issue 17: the parse was
 * ~20 us of a no-op item's CPU), and any that fails that check gets the full parse's details.
 */
import type { ItemJob } from '@fleet/contracts';
import { JobCheck } from './job-check.js';

const job = (
  batchId: string,
  index: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> => ({
  batchId,
  index,
  selector: { pool: 'default' },
  steps: [{ goto: 'https://example.test/' }],
  itemTimeoutMs: 60_000,
  stepTimeoutMs: 15_000,
  ...extra,
});

describe('JobCheck', () => {
  it('parses the first job of a batch in full (defaults filled in, unknown fields refused)', () => {
    const check = new JobCheck();
    const { itemTimeoutMs: _, stepTimeoutMs: __, ...bare } = job('b1', 0);
    const first = check.check(bare);
    expect(first).toEqual({ ok: true, job: expect.objectContaining({ itemTimeoutMs: 120_000 }) });
    const other = check.check(job('b2', 0, { password: 'x' }));
    expect(other.ok).toBe(false);
  });

  it('takes later jobs of a batch that passed as they are, without a parse', () => {
    const check = new JobCheck();
    expect(check.check(job('b1', 0)).ok).toBe(true);
    const later = job('b1', 1);
    const result = check.check(later);
    expect(result.ok).toBe(true);
    expect((result as { job: ItemJob }).job).toBe(later); // the same object: not parsed again
  });

  it('takes a traceparent in the first and the later jobs of a batch (the item trace, README "Tracing")', () => {
    const check = new JobCheck();
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const first = check.check(job('b1', 0, { traceparent }));
    expect(first).toEqual({ ok: true, job: expect.objectContaining({ traceparent }) });
    expect(check.check(job('b1', 1, { traceparent }))).toEqual({
      ok: true,
      job: expect.objectContaining({ traceparent }),
    });
    expect(check.check(job('b2', 0, { traceparent: 'not one' })).ok).toBe(false);
  });

  it.each([
    ['a negative index', { index: -1 }],
    ['a fractional index', { index: 1.5 }],
    ['no selector', { selector: undefined }],
    ['neither steps nor a scenario', { steps: undefined }],
    ['steps and a scenario', { scenario: { name: 's', version: '1' } }],
    ['steps that are no list', { steps: { goto: 'https://example.test/' } }],
    ['no item timeout', { itemTimeoutMs: '60000' }],
  ])('refuses a later job of a checked batch with %s, with the parse details', (_, extra) => {
    const check = new JobCheck();
    expect(check.check(job('b1', 0)).ok).toBe(true);
    const result = check.check(job('b1', 1, extra));
    expect(result.ok).toBe(false);
    expect((result as { details: unknown[] }).details.length).toBeGreaterThan(0);
  });

  it('parses every job of a batch whose first job failed', () => {
    const check = new JobCheck();
    expect(check.check(job('b1', 0, { password: 'x' })).ok).toBe(false);
    expect(check.check(job('b1', 1, { password: 'x' })).ok).toBe(false);
    const fine = job('b1', 2);
    const result = check.check(fine);
    expect(result.ok).toBe(true);
    expect((result as { job: ItemJob }).job).not.toBe(fine); // parsed: a copy
  });

  it('forgets the oldest batch past 1000, whose next job is parsed again', () => {
    const check = new JobCheck();
    for (let b = 0; b <= 1000; b++) check.check(job(`b${b}`, 0));
    const oldest = job('b0', 1);
    expect((check.check(oldest) as { job: ItemJob }).job).not.toBe(oldest);
    const recent = job('b1000', 1);
    expect((check.check(recent) as { job: ItemJob }).job).toBe(recent);
  });
});
