import { fleetEventSchema } from '@fleet/contracts';
import type { LoggerPort } from '@fleet/core';
import { entryToEvent, isPlainFleetEvent } from './stream-entry.js';
import { Harness, KEYS, request, waitFor } from './test-support.js';

// The relay's event check (a hand-written copy of fleetEventSchema, for speed) against the schema.

const warnings: string[] = [];
const logger = {
  warn: (_: unknown, message: string) => warnings.push(message),
  info: () => {},
  error: () => {},
  debug: () => {},
} as unknown as LoggerPort;

const valid = { type: 'item.completed', batchId: 'b_1', itemId: 'b_1.0', at: 1700000000000, data: { n: 1 } };
const cases: Record<string, unknown> = {
  valid,
  'all optional fields': { ...valid, id: 'x', profileId: 'p' },
  'only the required fields': { type: 'profile.released', at: 0, data: {} },
  'nested data': { ...valid, data: { a: [1, { b: null }], c: 'd' } },
  'an unknown type': { ...valid, type: 'item.exploded' },
  'a type that is no string': { ...valid, type: 3 },
  'no type': { batchId: 'b', at: 1, data: {} },
  'no at': { type: 'item.started', data: {} },
  'no data': { type: 'item.started', at: 1 },
  'a fractional at': { ...valid, at: 1.5 },
  'an at past 2^53': { ...valid, at: 2 ** 60 },
  'an at that is a string': { ...valid, at: '1' },
  'data that is an array': { ...valid, data: [1] },
  'data that is null': { ...valid, data: null },
  'data that is a string': { ...valid, data: 'x' },
  'a batchId that is a number': { ...valid, batchId: 1 },
  'an itemId that is null': { ...valid, itemId: null },
  'an id that is a number': { ...valid, id: 7 },
  'an unknown key': { ...valid, extra: true },
  'an own __proto__ key': JSON.parse('{"type":"item.started","at":1,"data":{},"__proto__":{"x":1}}'),
  'data with an own __proto__ key': JSON.parse('{"type":"item.started","at":1,"data":{"__proto__":{"x":1}}}'),
  'an array': [valid],
  null: null,
  'a number': 5,
  'a string': 'item.completed',
};

describe('isPlainFleetEvent', () => {
  it.each(Object.entries(cases))('never says yes where the schema says no: %s', (_name, value) => {
    const schemaSays = fleetEventSchema.safeParse(value).success;
    if (isPlainFleetEvent(value)) expect(schemaSays).toBe(true);
  });

  it('says yes to the events publishers write (the fast path is the common path)', () => {
    for (const name of ['valid', 'all optional fields', 'only the required fields', 'nested data'])
      expect(isPlainFleetEvent(JSON.parse(JSON.stringify(cases[name])))).toBe(true);
  });
});

describe('entryToEvent', () => {
  const entry = (value: unknown) => [
    'b',
    'b_1',
    'e',
    typeof value === 'string' ? value : JSON.stringify(value),
  ];

  it('gives what the schema gives, with the stream id, for every case', () => {
    for (const [name, value] of Object.entries(cases)) {
      const expected = fleetEventSchema.safeParse(
        typeof value === 'object' && value !== null ? { ...value, id: '1-1' } : value,
      );
      const got = entryToEvent('1-1', entry(JSON.parse(JSON.stringify(value ?? null))), logger);
      if (expected.success) expect([name, got]).toEqual([name, { ...expected.data, id: '1-1' }]);
      else expect([name, got]).toEqual([name, null]);
    }
  });

  it('takes the stream id over an id in the JSON', () => {
    expect(entryToEvent('5-0', entry({ ...valid, id: 'forged' }), logger)?.id).toBe('5-0');
    expect(entryToEvent('5-0', entry({ ...valid, id: 42 }), logger)?.id).toBe('5-0');
  });

  it('reads the event field by name, whatever the batch id is', () => {
    expect(
      entryToEvent('1-1', ['b', 'e', 'e', JSON.stringify({ ...valid, batchId: 'e' })], logger),
    ).toMatchObject({
      batchId: 'e',
    });
  });

  it('skips, with a warning, an entry whose event is not JSON or no event', () => {
    warnings.length = 0;
    expect(entryToEvent('1-1', ['b', 'b_1', 'e', '{not json'], logger)).toBeNull();
    expect(entryToEvent('1-2', entry({ ...valid, type: 'nope' }), logger)).toBeNull();
    expect(warnings).toEqual([
      'skipped a stream entry whose event is not JSON',
      'skipped a stream entry that is no event',
    ]);
  });
});

describe('the relay', () => {
  const h = new Harness();
  afterAll(() => h.close());

  it('relays the events around entries that are not events, live and on replay', async () => {
    const notifier = await h.start();
    const a = await h.batch('acme');
    const client = await h.connect(notifier, KEYS.acme.key);
    await request(client.client, 'subscribe', { batchId: a });
    const [first] = await h.publish(a, 1);
    const bad = JSON.stringify({ type: 'item.exploded', batchId: a, at: 1, data: {} });
    await h.redis.xadd(h.events.streamKey, '*', 'b', a, 'e', bad);
    await h.redis.xadd(h.events.streamKey, '*', 'b', a, 'e', '{not json');
    const [last] = await h.publish(a, 1);
    await waitFor('the event after the bad entries', () => client.log.has(last!));
    expect(client.log.ids()).toEqual([first, last]);
    const event = client.log.entries.find((e) => e.name === 'item.completed');
    expect(event?.payload).toEqual({
      id: first,
      type: 'item.completed',
      batchId: a,
      itemId: `${a}.0`,
      at: expect.any(Number),
      data: { n: 0 },
    });

    const again = await h.connect(notifier, KEYS.acme.key);
    await request(again.client, 'subscribe', { batchId: a, lastEventId: '0-0' });
    expect(again.log.ids()).toEqual([first, last]);
  });
});
