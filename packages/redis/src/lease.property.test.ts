/**
 * Property test of the lease protocol against a real Redis: many clients on their own connections
 * race random operations over a small pool, and an operation log (server times, from the scripts)
 * is checked afterwards:
 * - never two valid holders of one profile at the same time;
 * - fences strictly increase per profile, in the order leases were granted;
 * - every renew or release with a wrong or dead token is refused;
 * - available + cooling down + leased + quarantined = registered at every sample.
 */
import { type Lease, LeaseLostError, ProfileAllocationService } from '@fleet/core';
import { deletePrefix, testPrefix, testRedisTarget } from '@fleet/testing';
import { createRedis } from './connection.js';
import { RedisProfileStore } from './profile-store.js';
import { sleep } from './test-helpers.js';

const CLIENTS = 20;
const OPS_PER_CLIENT = 2000;
const PROFILES = 10;
const POOL = 'prop';

interface LeaseRecord {
  profileId: string;
  fence: number;
  grantedAt: number;
  /** The expiry the latest successful acquire/renew gave this lease. */
  expiresAt: number;
  /** When a successful release ended it. */
  releasedAt?: number;
}

/** A tiny seeded PRNG so a failure can be replayed with the seed printed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('lease protocol under concurrency (property)', () => {
  const prefix = testPrefix('prop');
  const seed = Number(process.env.FLEET_PROP_SEED ?? Date.now() % 1_000_000);
  const admin = createRedis(testRedisTarget(), { role: 'worker' });
  afterAll(async () => {
    await deletePrefix(admin, prefix);
    admin.disconnect();
  });

  it(`holds its invariants for ${CLIENTS} clients x ${OPS_PER_CLIENT} random operations (seed ${seed})`, async () => {
    const policy = { cooldownMs: 2, failureThreshold: 3, quarantineMs: 40 };
    const adminStore = new RedisProfileStore(admin, prefix);
    for (let i = 0; i < PROFILES; i++) await adminStore.register({ id: `p${i}`, pool: POOL });

    const leases = new Map<string, LeaseRecord>(); // by token
    const revocations: { profileId: string; at: number }[] = [];
    const violations: string[] = [];
    const samples: number[] = [];
    const stats = {
      acquired: 0,
      none: 0,
      renewed: 0,
      released: 0,
      lost: 0,
      forged: 0,
      stale: 0,
      reclaimed: 0,
    };

    let running = true;
    const sampler = (async () => {
      while (running) {
        const c = await adminStore.counts(POOL);
        const sum = c.available + c.coolingDown + c.leased + c.quarantined;
        samples.push(sum);
        if (sum !== c.registered || c.registered !== PROFILES) {
          violations.push(`counts do not add up: ${JSON.stringify(c)}`);
        }
        await sleep(2);
      }
    })();

    const client = async (n: number) => {
      const random = rng(seed * 31 + n);
      const redis = createRedis(testRedisTarget(), { role: 'worker' });
      const service = new ProfileAllocationService(new RedisProfileStore(redis, prefix), {
        leaseTtlMs: 1000,
        release: policy,
      });
      let held: Lease | null = null;
      const dead: Lease[] = []; // leases this client released: their tokens must stay dead
      try {
        for (let op = 0; op < OPS_PER_CLIENT; op++) {
          const r = random();
          if (random() < 0.03) await sleep(Math.floor(random() * 25)); // let short leases expire
          if (!held) {
            if (r < 0.05) {
              stats.reclaimed += (await service.reclaimExpired(POOL)).length;
              continue;
            }
            if (r < 0.08 && dead.length > 0) {
              // a dead token must never be accepted
              const old = dead[Math.floor(random() * dead.length)]!;
              const attempt = random() < 0.5 ? service.renew(old) : service.release(old, 'success');
              await attempt.then(
                () => violations.push(`stale token of ${old.profileId} fence ${old.fence} was accepted`),
                (e) => (e instanceof LeaseLostError ? stats.stale++ : violations.push(`stale: ${e}`)),
              );
              continue;
            }
            const ttl = random() < 0.2 ? 5 + Math.floor(random() * 20) : 200 + Math.floor(random() * 800);
            const lease = await service.acquire({ pool: POOL }, `client-${n}`, ttl);
            if (!lease) {
              stats.none++;
              continue;
            }
            stats.acquired++;
            if (leases.has(lease.token)) violations.push(`token reused: ${lease.token}`);
            leases.set(lease.token, { ...lease });
            held = lease;
            continue;
          }
          const record = leases.get(held.token)!;
          if (r < 0.1) {
            // forged token: must be refused, and must not disturb the real holder
            const forged = { ...held, token: `forged-${n}-${op}` };
            stats.forged++;
            const attempt = random() < 0.5 ? service.renew(forged) : service.release(forged, 'success');
            await attempt.then(
              () => violations.push(`forged token accepted on ${held?.profileId}`),
              (e) => (e instanceof LeaseLostError ? undefined : violations.push(`forged: ${e}`)),
            );
          } else if (r < 0.12) {
            // manual quarantine revokes whatever lease the profile has
            const p = await service.quarantine(held.profileId, 'property test', 30);
            revocations.push({ profileId: held.profileId, at: p.updatedAt });
            dead.push(held);
            held = null;
          } else if (r < 0.15) {
            held = null; // abandon: the lease expires and someone reclaims it
          } else if (r < 0.55) {
            try {
              held = await service.renew(held, random() < 0.1 ? 5 : 500);
              // a renew may shorten the lease: the latest successful renew sets its end
              record.expiresAt = held.expiresAt;
              stats.renewed++;
            } catch (e) {
              if (!(e instanceof LeaseLostError)) throw e;
              stats.lost++;
              dead.push(held);
              held = null;
            }
          } else {
            try {
              const result = await service.release(held, random() < 0.7 ? 'success' : 'failure');
              record.releasedAt = result.releasedAt;
              stats.released++;
            } catch (e) {
              if (!(e instanceof LeaseLostError)) throw e;
              stats.lost++;
            }
            dead.push(held);
            held = null;
          }
        }
      } finally {
        redis.disconnect();
      }
    };

    await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
    running = false;
    await sampler;

    // Never two valid holders at once; fences rise in grant order.
    const byProfile = new Map<string, LeaseRecord[]>();
    for (const rec of leases.values()) {
      const list = byProfile.get(rec.profileId) ?? [];
      list.push(rec);
      byProfile.set(rec.profileId, list);
    }
    for (const [profileId, list] of byProfile) {
      list.sort((a, b) => a.fence - b.fence);
      const revokedAt = revocations.filter((r) => r.profileId === profileId).map((r) => r.at);
      for (let i = 0; i < list.length; i++) {
        const cur = list[i]!;
        if (i > 0 && list[i - 1]!.fence >= cur.fence) violations.push(`${profileId}: fence did not rise`);
        const next = list[i + 1];
        if (!next) continue;
        if (next.grantedAt < cur.grantedAt)
          violations.push(`${profileId}: fence ${next.fence} granted earlier`);
        const revoked = revokedAt.filter((t) => t >= cur.grantedAt && t <= next.grantedAt);
        const validUntil = Math.min(cur.expiresAt, cur.releasedAt ?? Infinity, ...revoked);
        if (next.grantedAt < validUntil) {
          violations.push(
            `${profileId}: fence ${next.fence} granted at ${next.grantedAt} while fence ${cur.fence} was valid until ${validUntil}`,
          );
        }
      }
    }

    // Afterwards every profile is in exactly one state set.
    const k = adminStore.keys.pool(POOL);
    for (let i = 0; i < PROFILES; i++) {
      const id = `p${i}`;
      const inSets = await Promise.all([
        admin.zscore(k.available, id),
        admin.zscore(k.leases, id),
        admin.zscore(k.quarantine, id),
      ]);
      if (inSets.filter((s) => s !== null).length !== 1) violations.push(`${id} is in ${inSets} state sets`);
    }

    const summary = { seed, ...stats, grants: leases.size, samples: samples.length };
    console.log(JSON.stringify(summary));
    expect({ violations: violations.slice(0, 10), summary }).toEqual({ violations: [], summary });
    // The run must have exercised the protocol, not idled.
    // (20 clients share 10 profiles, so most acquires find none free: that contention is the point.)
    // The counts depend on timing (leases last real milliseconds): five runs on this 2-core machine
    // gave acquired 606–995, released 529–894, forged 105–194, lost + reclaimed 7–13, stale
    // 1118–1201. Floors near those figures (800, 500, 150, 5) failed one run in a few, so they
    // sit at about half the lowest.
    expect(stats.acquired).toBeGreaterThan(300);
    expect(stats.released).toBeGreaterThan(250);
    expect(stats.lost + stats.reclaimed).toBeGreaterThan(0);
    expect(stats.forged).toBeGreaterThan(50);
    expect(stats.stale).toBeGreaterThan(100);
    expect(samples.length).toBeGreaterThan(20);
  }, 120_000);
});
