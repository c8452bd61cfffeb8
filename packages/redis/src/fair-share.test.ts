import { deletePrefix, testPrefix, testRedisTarget } from '@fleet/testing';
import { createRedis } from './connection.js';
import { RedisFairShare, type TenantShare } from './fair-share.js';

// Fair share between tenants (README "Sharing a fleet"), on the run's real redis-server (or
// Cluster: every key of it in the {fair} slot).
const redis = createRedis(testRedisTarget(), { role: 'worker' });
const prefixes: string[] = [];
afterAll(async () => {
  for (const p of prefixes) await deletePrefix(redis, p);
  redis.disconnect();
});
function fresh(): RedisFairShare {
  const prefix = testPrefix('fair');
  prefixes.push(prefix);
  return new RedisFairShare(redis, prefix);
}
const Q = 'items';
const one: TenantShare = { weight: 1, cap: 0 };
const OPTS = { attempts: 3 };

async function submit(
  fair: RedisFairShare,
  tenant: string,
  batch: string,
  n: number,
  share: TenantShare = one,
  priority = 0,
  first = 0,
) {
  const items = Array.from({ length: n }, (_, k) => ({
    id: `${batch}.${first + k}`,
    data: { batchId: batch, index: first + k, owner: tenant },
  }));
  return fair.add(Q, tenant, share, { id: batch, priority, opts: OPTS }, first, items);
}

const tenantOf = (id: string) => id.split('.')[0]!.replace(/\d+$/, '');

describe('fair share', () => {
  it('hands items out by weight, a late small tenant at once, each with its job options and data', async () => {
    const fair = fresh();
    await submit(fair, 'big', 'big1', 50);
    const early = await fair.take<{ batchId: string }>(Q, 4);
    expect(early.map((i) => i.id)).toEqual(['big1.0', 'big1.1', 'big1.2', 'big1.3']);
    expect(early[0]).toEqual({ id: 'big1.0', opts: OPTS, data: { batchId: 'big1', index: 0, owner: 'big' } });
    // A small tenant arrives after big had 4: it starts at big's virtual time, not at 0 (no credit
    // for time it was idle), and then they alternate; heavy (weight 2) gets two in three.
    await submit(fair, 'small', 'small1', 5);
    await submit(fair, 'heavy', 'heavy1', 50, { weight: 2, cap: 0 });
    const next = (await fair.take(Q, 30)).map((i) => tenantOf(i.id));
    expect(next.slice(0, 2).sort()).toEqual(['heavy', 'small']); // both ahead of big's 5th
    const counts = (xs: string[]) =>
      Object.fromEntries(['big', 'small', 'heavy'].map((t) => [t, xs.filter((x) => x === t).length]));
    // 30 items: small has only 5; big and heavy share the rest 1:2.
    expect(counts(next)).toEqual({ big: 8, small: 5, heavy: 17 });
    const standings = await fair.standings();
    expect(standings.map((s) => [s.tenant, s.waiting, s.running, s.weight])).toEqual([
      ['big', 38, 12, 1],
      ['heavy', 33, 17, 2],
      ['small', 0, 5, 1],
    ]);
  });

  it('keeps priorities inside a tenant, and an admin can raise a pending batch', async () => {
    const fair = fresh();
    await submit(fair, 'a', 'a1', 3);
    await submit(fair, 'a', 'a2', 3, one, 5);
    await submit(fair, 'a', 'a3', 3, one, 2);
    // Lower numbers first (FairItemQueue gives a batch without a priority MAX_PRIORITY + 1).
    expect((await fair.take(Q, 4)).map((i) => i.id)).toEqual(['a1.0', 'a1.1', 'a1.2', 'a3.0']);
    expect(await fair.setPriority('a2', 1)).toBe(true);
    expect((await fair.take(Q, 5)).map((i) => i.id)).toEqual(['a2.0', 'a2.1', 'a2.2', 'a3.1', 'a3.2']);
    expect(await fair.setPriority('nope', 1)).toBe(false);
  });

  it('holds a tenant at its cap until an item finishes, while others go on', async () => {
    const fair = fresh();
    await submit(fair, 'capped', 'c1', 10, { weight: 1, cap: 2 });
    await submit(fair, 'free', 'f1', 10);
    const first = await fair.take(Q, 10);
    expect(first.filter((i) => tenantOf(i.id) === 'c').length).toBe(2);
    expect(first.filter((i) => tenantOf(i.id) === 'f').length).toBe(8);
    // The rest of free; capped stays at its cap.
    expect((await fair.take(Q, 5)).map((i) => i.id)).toEqual(['f1.8', 'f1.9']);
    expect(await fair.take(Q, 5)).toEqual([]);
    // One finishes: exactly one more of the capped tenant may go (done twice counts once).
    const done = { tenant: 'capped', queue: Q, id: first.find((i) => i.id.startsWith('c1'))!.id };
    expect(await fair.done([done, done])).toBe(1);
    const more = await fair.take(Q, 5);
    expect(more.map((i) => tenantOf(i.id))).toEqual(['c']);
    // Slots given back in one turn (a worker finishing several jobs at once) go as one call.
    const two = [...first.filter((i) => i.id.startsWith('c1') && i.id !== done.id), ...more];
    await Promise.all(two.map((i) => fair.doneSoon({ tenant: 'capped', queue: Q, id: i.id })));
    expect((await fair.standings()).find((s) => s.tenant === 'capped')).toMatchObject({ running: 0 });
    expect((await fair.take(Q, 5)).map((i) => tenantOf(i.id))).toEqual(['c', 'c']);
  });

  it('adds idempotently (a resumed submit), in chunks, and a cancel drops pending items for good', async () => {
    const fair = fresh();
    expect(await submit(fair, 't', 'b1', 3)).toBe(3);
    expect(await submit(fair, 't', 'b1', 3)).toBe(0); // the same chunk again
    expect(await submit(fair, 't', 'b1', 2, one, 0, 3)).toBe(2); // the next chunk
    expect(await fair.pendingOf('b1')).toBe(5);
    expect((await fair.take(Q, 2)).map((i) => i.id)).toEqual(['b1.0', 'b1.1']);
    expect(await fair.cancel('b1')).toEqual({ dropped: 3, tenant: 't' });
    expect(await fair.take(Q, 5)).toEqual([]);
    expect(await submit(fair, 't', 'b1', 2, one, 0, 5)).toBe(0); // a cancelled batch takes none
    expect((await fair.standings())[0]).toMatchObject({ tenant: 't', waiting: 0, running: 2 });
    expect(await fair.pendingIn(Q)).toBe(0);
    await submit(fair, 't', 'b2', 4);
    expect(await fair.pendingIn(Q)).toBe(4);
    await fair.take(Q, 1);
    expect(await fair.pendingIn(Q)).toBe(3);
    expect(await fair.pendingIn('items.other@1')).toBe(0);
    const items = [0, 1].map((k) => ({ id: `b3.${k}`, data: { batchId: 'b3', index: k, owner: 't' } }));
    await fair.add('items.other@1', 't', one, { id: 'b3', priority: 0, opts: OPTS }, 0, items);
    expect(await fair.pendingTotal()).toBe(5);
  });

  it("keeps taken items until handed; a dead dispatcher's items are found by the next", async () => {
    const fair = fresh();
    await submit(fair, 't', 'b1', 3);
    const t0 = Date.now();
    const taken = await fair.take(Q, 3, t0 - 20_000); // taken 20 s ago, never handed
    await fair.handed(Q, [taken[0]!.id]);
    const stranded = await fair.stranded(Q, 10_000);
    expect(stranded.map((i) => i.id)).toEqual(['b1.1', 'b1.2']);
    expect(stranded[0]!.data).toEqual({ batchId: 'b1', index: 1, owner: 't' });
    await fair.handed(
      Q,
      stranded.map((i) => i.id),
    );
    expect(await fair.stranded(Q, 0)).toEqual([]);
  });

  it('one dispatcher leads a queue; the lead lapses with its holder', async () => {
    const fair = fresh();
    expect(await fair.lead(Q, 'w1', 200)).toBe(true);
    expect(await fair.lead(Q, 'w2', 200)).toBe(false);
    expect(await fair.lead(Q, 'w1', 200)).toBe(true); // renewed
    await fair.resign(Q, 'w1');
    expect(await fair.lead(Q, 'w2', 200)).toBe(true);
  });

  it('running entries are listed by age and re-stamped when checked', async () => {
    const fair = fresh();
    await submit(fair, 't', 'b1', 2);
    const now = Date.now();
    await fair.take(Q, 2, now - 60_000);
    const due = await fair.runningBefore('t', now - 30_000);
    expect(due).toEqual([
      { tenant: 't', queue: Q, id: 'b1.0' },
      { tenant: 't', queue: Q, id: 'b1.1' },
    ]);
    await fair.touch([due[0]!], now);
    expect((await fair.runningBefore('t', now - 30_000)).map((e) => e.id)).toEqual(['b1.1']);
  });
});
