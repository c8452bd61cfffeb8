/**
 * BatchService over in-memory ports: planning (every problem of every item), submit and its
 * idempotent resume, and cancel (announce, remove waiting items, publish batch.cancelled once per
 * call). The API's tests drive the same paths over Redis and BullMQ.
 */
import type { Step } from '@fleet/contracts';
import { type BatchPlanInput, BatchService, planBatch } from './batch-service.js';
import { InvalidArgumentError } from './errors.js';
import { MemoryBatchStore, MemoryCancelBus, MemoryEventPublisher, MemoryItemQueue } from './testing/index.js';

const steps: Step[] = [{ goto: 'https://example.com/{{path}}' }];

function input(overrides: Partial<BatchPlanInput> = {}): BatchPlanInput {
  return { batchId: 'b1', pool: 'default', steps, items: [{ path: 'a' }, { path: 'b' }], ...overrides };
}

function setup() {
  const batches = new MemoryBatchStore(() => 1_000);
  const queue = new MemoryItemQueue();
  const bus = new MemoryCancelBus();
  const events = new MemoryEventPublisher();
  const service = new BatchService(batches, queue, { bus, events, now: () => 2_000 });
  return { batches, queue, bus, events, service };
}

describe('planBatch', () => {
  it('makes one job per item with its variables filled in and the batch settings', () => {
    const plan = planBatch(
      input({ tags: ['eu'], owner: 'key-1', deadlineAt: 9_000, itemTimeoutMs: 5_000, proxy: null }),
    );
    expect(plan).toEqual({
      ok: true,
      jobs: [0, 1].map((index) => ({
        batchId: 'b1',
        index,
        selector: { pool: 'default', tags: ['eu'] },
        steps: [{ goto: `https://example.com/${index === 0 ? 'a' : 'b'}` }],
        itemTimeoutMs: 5_000,
        stepTimeoutMs: 15_000,
        deadlineAt: 9_000,
        owner: 'key-1',
      })),
    });
  });

  it('flags jobs of a batch with its own proxy, without putting the proxy in job data', () => {
    const plan = planBatch(
      input({ proxy: { type: 'http', host: 'p.example', port: 1, password: 's3cret' } }),
    );
    if (!plan.ok) throw new Error('expected a plan');
    expect(plan.jobs.every((j) => j.batchProxy === true)).toBe(true);
    expect(JSON.stringify(plan.jobs)).not.toContain('s3cret');
  });

  it("puts the batch's stored files (artifact ids only) in every job", () => {
    const files = { receipt: { artifactId: 'A'.repeat(22), filename: 'r.csv', type: 'text/csv' } };
    const plan = planBatch(input({ files }));
    if (!plan.ok) throw new Error('expected a plan');
    expect(plan.jobs.map((j) => j.files)).toEqual([files, files]);
    const none = planBatch(input({ files: {} }));
    expect(none.ok && none.jobs.every((j) => !('files' in j))).toBe(true);
  });

  it('lists every missing variable of every item', () => {
    const plan = planBatch(input({ items: [{}, { path: 'ok' }, {}] }));
    expect(plan.ok).toBe(false);
    if (plan.ok) return;
    expect(plan.problems.map((p) => p.field)).toEqual([
      expect.stringMatching(/^items\[0\]\.steps/),
      expect.stringMatching(/^items\[2\]\.steps/),
    ]);
  });
});

describe('BatchService.submit', () => {
  it('writes the record, enqueues one job per item and marks the batch enqueued', async () => {
    const s = setup();
    const record = await s.service.submit(input({ name: 'n', owner: 'key-1' }), { attempts: 2, priority: 1 });
    expect(record).toMatchObject({ id: 'b1', name: 'n', owner: 'key-1', total: 2, enqueued: true });
    expect([...s.queue.jobs.keys()]).toEqual(['b1:0', 'b1:1']);
    expect(s.queue.jobs.get('b1:0')?.options).toEqual({ attempts: 2, priority: 1 });
    expect((await s.batches.get('b1'))?.enqueued).toBe(true);
  });

  it('refuses an empty batch and a batch with bad items, writing nothing', async () => {
    const s = setup();
    await expect(s.service.submit(input({ items: [] }))).rejects.toThrow('a batch needs at least one item');
    const error = await s.service.submit(input({ items: [{}] })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ message: 'some items cannot run as given' });
    expect((error as InvalidArgumentError).details).toHaveLength(1);
    expect(s.batches.records.size).toBe(0);
    expect(s.queue.jobs.size).toBe(0);
  });

  it('accepts a plan made beforehand', async () => {
    const s = setup();
    const planned = s.service.plan(input());
    await s.service.submit(planned);
    expect(s.queue.jobs.size).toBe(2);
  });

  it('refuses a second create of the same batch id', async () => {
    const s = setup();
    await s.service.submit(input());
    await expect(s.service.submit(input())).rejects.toThrow('batch "b1" already exists');
  });

  it('resumes a submit cut short: the record is reused and only missing jobs are added', async () => {
    const s = setup();
    s.queue.failAfter = { jobs: 1, error: new Error('redis went away') };
    await expect(s.service.submit(input())).rejects.toThrow('redis went away');
    expect((await s.batches.get('b1'))?.enqueued).toBe(false);
    expect(s.queue.jobs.size).toBe(1);

    const record = await s.service.submit(input(), { resume: true });
    expect(record.enqueued).toBe(true);
    expect([...s.queue.jobs.keys()]).toEqual(['b1:0', 'b1:1']);
    expect(s.batches.records.size).toBe(1);
  });

  it('a resume of a batch already enqueued returns its record and enqueues nothing', async () => {
    const s = setup();
    await s.service.submit(input());
    s.queue.jobs.clear();
    const record = await s.service.submit(input(), { resume: true });
    expect(record).toMatchObject({ id: 'b1', enqueued: true });
    expect(s.queue.jobs.size).toBe(0);
  });

  it('a resume of a batch that was never created creates it', async () => {
    const s = setup();
    const record = await s.service.submit(input(), { resume: true });
    expect(record).toMatchObject({ id: 'b1', enqueued: true });
    expect(s.queue.jobs.size).toBe(2);
  });
});

describe('BatchService.cancel', () => {
  it('announces the cancel, removes waiting items (not running ones) and publishes batch.cancelled', async () => {
    const s = setup();
    const heard: string[] = [];
    await s.bus.listen((id) => void heard.push(id));
    await s.service.submit(input({ items: [{ path: 'a' }, { path: 'b' }, { path: 'c' }] }));
    s.queue.start('b1', 0);
    const result = await s.service.cancel('b1');
    expect(result).toMatchObject({ status: 'cancelled', removed: 2, batch: { status: 'cancelled' } });
    expect(heard).toEqual(['b1']);
    expect([...s.queue.jobs.keys()]).toEqual(['b1:0']);
    expect(s.events.events).toEqual([
      { type: 'batch.cancelled', batchId: 'b1', at: 2_000, data: { total: 3, completed: 0, failed: 0 } },
    ]);
  });

  it('repeats the announcement and removal on a cancelled batch; batch.cancelled keeps one dedupe key', async () => {
    const s = setup();
    await s.service.submit(input());
    await s.service.cancel('b1');
    const again = await s.service.cancel('b1');
    expect(again).toMatchObject({ status: 'already-cancelled', removed: 0 });
    expect(s.bus.announced).toEqual(['b1', 'b1']);
    expect(s.events.types).toEqual(['batch.cancelled']);
  });

  it('does nothing for a finished or unknown batch', async () => {
    const s = setup();
    await s.service.submit(input());
    s.batches.finish('b1', { completed: 2, failed: 0 });
    expect(await s.service.cancel('b1')).toMatchObject({ status: 'finished', removed: 0 });
    expect(await s.service.cancel('nope')).toEqual({ status: 'unknown', batch: null, removed: 0 });
    expect(s.bus.announced).toEqual([]);
    expect(s.events.events).toEqual([]);
  });

  it('needs a cancel bus', async () => {
    const service = new BatchService(new MemoryBatchStore(), new MemoryItemQueue());
    await expect(service.cancel('b1')).rejects.toThrow('BatchService was built without a cancel bus');
  });
});
