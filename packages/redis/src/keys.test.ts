import { Keys } from './keys.js';

/** The hash tag Redis Cluster hashes a key by: the first `{…}` with something inside, else none. */
function hashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

// Every key one Lua script is given (KEYS) or builds from an ARGV prefix (a profile's hash, a tag's
// zset) belongs to one of these families. A Cluster runs a script only when all its keys share a
// slot: a family with one hash tag keeps every script of it on one slot. (FLEET_TEST_REDIS=cluster
// runs the store tests on a real Cluster, which refuses CROSSSLOT and non-local keys.)
describe('key families share one hash tag each (Redis Cluster)', () => {
  const keys = new Keys('p');

  it('a pool: members, available, leases, quarantine, fence, meta, profiles, tag sets', () => {
    const pool = keys.pool('eu');
    const all = [
      pool.members,
      pool.available,
      pool.leases,
      pool.quarantine,
      pool.fence,
      pool.meta,
      pool.profile('p-1'),
      `${pool.tagPrefix}mobile`,
    ];
    expect(new Set(all.map(hashTag))).toEqual(new Set(['pool:eu']));
    expect(hashTag(keys.pool('us').members)).toBe('pool:us');
  });

  it('a batch: meta, results, claims, stalls, errors, checkpoints', () => {
    const batch = keys.batch('b-1');
    const all = [batch.meta, batch.results, batch.claims, batch.stalls, batch.errors, batch.checkpoints];
    expect(new Set(all.map(hashTag))).toEqual(new Set(['batch:b-1']));
  });

  it('fair share: every key in one slot, whatever the tenant, batch or queue (with its braces taken off)', () => {
    const fair = keys.fair;
    const all = [
      fair.base,
      fair.names,
      fair.waiting,
      fair.queued,
      fair.cfg('acme'),
      fair.running('acme'),
      fair.items('b-1'),
      fair.dispatching('items.shop@1'),
      fair.data('items'),
      fair.leader('items'),
    ];
    expect(new Set(all.map(hashTag))).toEqual(new Set(['fair']));
  });

  it('the event stream and its dedupe markers; the scenario registry', () => {
    expect(new Set([keys.events.stream, keys.events.dedupe('x')].map(hashTag))).toEqual(new Set(['events']));
    const scenario = keys.scenario('shop@1');
    expect(new Set([keys.scenarios, scenario.definition, scenario.workers].map(hashTag))).toEqual(
      new Set(['scenarios']),
    );
  });
});
