/**
 * ProfileSessions over in-memory ports (no Redis, no browser): the moves of a session's state,
 * warm reuse and idle expiry, the release outcomes, the start-failure policy and lease loss. The
 * e2e suite (tests/e2e: warm, lease-loss, cancel) drives the same paths with Redis and Chromium.
 */
import {
  FatalError,
  LeaseLostError,
  ProfileFaultError,
  ProviderUnreachableError,
  RetryableError,
} from './errors.js';
import type { ProxyConfig } from './profile.js';
import type { ProfileSession } from './profile-session.js';
import { memorySessions } from './testing/index.js';

const pool = { pool: 'default' };
const proxyA: ProxyConfig = { type: 'http', host: 'a.example', port: 8080 };
const proxyB: ProxyConfig = { type: 'http', host: 'b.example', port: 8080 };

async function checkout(s: ReturnType<typeof memorySessions>, proxy?: ProxyConfig | null) {
  const out = await s.sessions.checkout(pool, proxy === undefined ? {} : { proxy });
  if (!out) throw new Error('expected a free profile');
  return out;
}

/** Lets pending promise callbacks (a renewal's, an idle expiry's) run under fake timers. */
async function tick(ms: number): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
}

afterEach(() => {
  jest.useRealTimers();
});

describe('ProfileSessions: checkout and give back', () => {
  it('starts a browser on a leased profile: in use, first use, not warm', async () => {
    const s = memorySessions();
    const { session, warm } = await checkout(s);
    expect(warm).toBe(false);
    expect(session.state).toBe('in-use');
    expect(session.uses).toBe(1);
    expect(session.profile.id).toBe('p1');
    expect(session.lease).toMatchObject({ profileId: 'p1', owner: 'w1' });
    expect(s.provider.running).toEqual(new Set(['p1']));
    expect(s.profiles.leased).toBe(1);
    expect(s.sessions.heldCount).toBe(1);
    expect(s.sessions.stats).toEqual({ starts: 1, warmReuses: 0, lost: 0, quarantined: 0 });
    await s.sessions.closeAll();
  });

  it('answers null when no profile is free (and holds nothing more)', async () => {
    const s = memorySessions();
    await checkout(s);
    expect(await s.sessions.checkout(pool)).toBeNull();
    expect(s.sessions.heldCount).toBe(1);
    await s.sessions.closeAll();
  });

  it('releases with the outcome, stops the browser, and ignores a second give-back', async () => {
    const s = memorySessions();
    const { session } = await checkout(s);
    await s.sessions.giveBack(session, 'success', { keepWarm: false });
    expect(session.state).toBe('released');
    expect(s.provider.running.size).toBe(0);
    expect(s.profiles.outcomes).toEqual(['success']);
    expect(s.sessions.heldCount).toBe(0);

    await s.sessions.giveBack(session, 'failure', { keepWarm: false });
    expect(s.profiles.outcomes).toEqual(['success']);
  });

  it('keeps a profile warm and hands the same browser to the next item', async () => {
    const s = memorySessions();
    const first = await checkout(s);
    await s.sessions.giveBack(first.session, 'success', { keepWarm: true });
    expect(first.session.state).toBe('idle');
    expect(s.provider.running.size).toBe(1);
    expect(s.profiles.leased).toBe(1);
    expect(s.profiles.outcomes).toEqual([]);

    const second = await checkout(s);
    expect(second.warm).toBe(true);
    expect(second.session).toBe(first.session);
    expect(second.session.state).toBe('in-use');
    expect(second.session.uses).toBe(2);
    expect(s.sessions.stats).toEqual({ starts: 1, warmReuses: 1, lost: 0, quarantined: 0 });
    await s.sessions.closeAll();
  });

  it('never keeps a failed profile warm, nor any when warm reuse is off', async () => {
    const s = memorySessions();
    const { session } = await checkout(s);
    await s.sessions.giveBack(session, 'failure', { keepWarm: true });
    expect(session.state).toBe('released');
    expect(s.profiles.outcomes).toEqual(['failure']);

    const off = memorySessions({ warmIdleMs: 0 });
    const other = await checkout(off);
    await off.sessions.giveBack(other.session, 'success', { keepWarm: true });
    expect(other.session.state).toBe('released');
    expect(off.provider.running.size).toBe(0);
    expect(off.profiles.outcomes).toEqual(['success']);
  });

  it('reuses the warm profile idle shortest, so the ones fewer items leave idle expire', async () => {
    jest.useFakeTimers();
    const s = memorySessions({ profileIds: ['p1', 'p2', 'p3'], warmIdleMs: 1000 });
    const started = [await checkout(s), await checkout(s), await checkout(s)];
    for (const { session } of started) await s.sessions.giveBack(session, 'success', { keepWarm: true });
    // One item at a time from now on: always the browser given back last (p3), never p1 or p2.
    for (let i = 0; i < 3; i++) {
      await tick(400);
      const next = await checkout(s);
      expect(next.warm).toBe(true);
      expect(next.session.profile.id).toBe('p3');
      await s.sessions.giveBack(next.session, 'success', { keepWarm: true });
    }
    // p1 and p2 idled past warmIdleMs: released, their browsers stopped; p3 stays warm.
    expect(started.map(({ session }) => session.state)).toEqual(['released', 'released', 'idle']);
    expect(s.provider.running).toEqual(new Set(['p3']));
    expect(s.profiles.outcomes).toEqual(['success', 'success']);
    await s.sessions.closeAll();
  });

  it('reuses a warm profile only for the same proxy; a free profile is started for another', async () => {
    const s = memorySessions({ profileIds: ['p1', 'p2'] });
    const first = await checkout(s, proxyA);
    await s.sessions.giveBack(first.session, 'success', { keepWarm: true });
    const other = await checkout(s, proxyB);
    expect(other.warm).toBe(false);
    expect(other.session.profile.id).toBe('p2');
    expect(s.provider.prepared).toEqual([
      { profileId: 'p1', proxy: proxyA },
      { profileId: 'p2', proxy: proxyB },
    ]);
    expect(first.session.state).toBe('idle');
    await s.sessions.closeAll();
  });

  it('gives back an idle profile that does not fit when none is free, then leases it for real work', async () => {
    const s = memorySessions();
    const first = await checkout(s, proxyA);
    await s.sessions.giveBack(first.session, 'success', { keepWarm: true });
    const next = await checkout(s, proxyB);
    expect(next.warm).toBe(false);
    expect(next.session).not.toBe(first.session);
    expect(first.session.state).toBe('released');
    expect(s.profiles.outcomes).toEqual(['success']);
    expect(s.provider.starts).toBe(2);
    expect(next.session.proxy).toEqual(proxyB);
    await s.sessions.closeAll();
  });

  it('releases an idle profile once it has been idle for warmIdleMs', async () => {
    jest.useFakeTimers();
    const s = memorySessions({ warmIdleMs: 1000 });
    const { session } = await checkout(s);
    await s.sessions.giveBack(session, 'success', { keepWarm: true });
    await tick(999);
    expect(session.state).toBe('idle');
    await tick(1);
    expect(session.state).toBe('released');
    expect(s.provider.running.size).toBe(0);
    expect(s.profiles.outcomes).toEqual(['success']);
    expect(s.sessions.heldCount).toBe(0);
  });

  it('tells onBrowserReleased of the endpoint when a browser leaves: given back, idle expiry, closeAll', async () => {
    jest.useFakeTimers();
    const released: unknown[] = [];
    const s = memorySessions({
      profileIds: ['p1', 'p2', 'p3'],
      warmIdleMs: 1000,
      onBrowserReleased: (endpoint) => released.push(endpoint),
    });
    const a = await checkout(s);
    await s.sessions.giveBack(a.session, 'success', { keepWarm: true });
    expect(released).toEqual([]); // warm: the browser stays with this worker
    const again = await checkout(s);
    expect(again.session).toBe(a.session);
    await s.sessions.giveBack(again.session, 'failure', { keepWarm: true });
    expect(released).toEqual([a.session.endpoint]);
    const b = await checkout(s);
    await s.sessions.giveBack(b.session, 'success', { keepWarm: true });
    await tick(1000);
    expect(released).toEqual([a.session.endpoint, b.session.endpoint]);
    const c = await checkout(s);
    await s.sessions.closeAll();
    expect(released).toEqual([a.session.endpoint, b.session.endpoint, c.session.endpoint]);
  });

  it('does not expire a warm profile that was reused before its idle time ran out', async () => {
    jest.useFakeTimers();
    const s = memorySessions({ warmIdleMs: 1000, renewEveryMs: 60_000 });
    const first = await checkout(s);
    await s.sessions.giveBack(first.session, 'success', { keepWarm: true });
    await tick(500);
    await checkout(s);
    await tick(2000);
    expect(first.session.state).toBe('in-use');
    expect(s.profiles.outcomes).toEqual([]);
    await s.sessions.closeAll();
  });

  it('closeAll releases in-use and idle sessions neutral and stops their browsers', async () => {
    const s = memorySessions({ profileIds: ['p1', 'p2'] });
    const a = await checkout(s, proxyA);
    const b = await checkout(s, proxyB);
    await s.sessions.giveBack(a.session, 'success', { keepWarm: true });
    await s.sessions.closeAll();
    expect([a.session.state, b.session.state]).toEqual(['released', 'released']);
    expect(s.profiles.outcomes).toEqual(['neutral', 'neutral']);
    expect(s.provider.running.size).toBe(0);
    expect(s.sessions.heldCount).toBe(0);
  });

  it('abandon gives back only the checkout it names (a warm session may serve the next item)', async () => {
    const s = memorySessions();
    const first = await checkout(s);
    const use = first.session.uses;
    await s.sessions.giveBack(first.session, 'success', { keepWarm: true });
    const second = await checkout(s);
    await s.sessions.abandon(first.session, use);
    expect(second.session.state).toBe('in-use');
    expect(s.profiles.outcomes).toEqual([]);

    await s.sessions.abandon(second.session, second.session.uses);
    expect(second.session.state).toBe('released');
    expect(s.profiles.outcomes).toEqual(['neutral']);
  });

  it('refuses a session it did not make', async () => {
    const s = memorySessions();
    const { session } = await checkout(s);
    const copy: ProfileSession = {
      ...session,
      lease: session.lease,
      state: session.state,
      lost: session.lost,
    };
    await expect(s.sessions.giveBack(copy, 'success', { keepWarm: false })).rejects.toThrow(
      /not made by ProfileSessions.checkout/,
    );
    await s.sessions.closeAll();
  });
});

describe('ProfileSessions: a start that fails', () => {
  it('quarantines the profile on a profile fault (proxy dead, profile locked)', async () => {
    const quarantined: string[] = [];
    const s = memorySessions({ onQuarantined: (id, reason) => void quarantined.push(`${id}: ${reason}`) });
    s.provider.beforeStart = () => {
      throw new ProfileFaultError('PROFILE_PROXY_FAILED', 'the proxy refused the connection');
    };
    await expect(s.sessions.checkout(pool)).rejects.toMatchObject({ code: 'PROFILE_PROXY_FAILED' });
    const profile = await s.profiles.get('p1');
    expect(profile?.state).toBe('quarantined');
    expect(profile?.quarantine?.reason).toBe('the proxy refused the connection');
    expect(quarantined).toEqual(['p1: the proxy refused the connection']);
    expect(s.sessions.stats.quarantined).toBe(1);
    expect(s.profiles.outcomes).toEqual([]);
    expect(s.sessions.heldCount).toBe(0);
  });

  it("blames a batch's proxy, not the profile: released neutral, retryable BATCH_PROXY_FAILED", async () => {
    const s = memorySessions();
    const fault = new ProfileFaultError('PROFILE_PROXY_FAILED', 'the proxy refused the connection');
    s.provider.beforeStart = () => {
      throw fault;
    };
    const error = await s.sessions.checkout(pool, { proxy: proxyA }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ code: 'BATCH_PROXY_FAILED', cause: fault });
    expect((await s.profiles.get('p1'))?.state).toBe('available');
    expect(s.profiles.outcomes).toEqual(['neutral']);
  });

  it.each([
    ['a retryable error (provider busy)', new RetryableError('PROVIDER_UNAVAILABLE', 'busy'), 'neutral'],
    ['a fatal error (our configuration)', new FatalError('MULTILOGIN_AUTH_FAILED', 'refused'), 'neutral'],
    ['any other error', new Error('the launcher crashed'), 'failure'],
  ])('releases after %s with outcome %s', async (_what, thrown, outcome) => {
    const s = memorySessions();
    s.provider.beforeStart = () => {
      throw thrown;
    };
    await expect(s.sessions.checkout(pool)).rejects.toBe(thrown);
    expect(s.profiles.outcomes).toEqual([outcome]);
    expect(s.sessions.heldCount).toBe(0);
    expect(s.provider.running.size).toBe(0);
  });

  it.each(['PROVIDER_CONNECTION_LOST', 'PROVIDER_TIMEOUT'])(
    'stops a browser whose start answer was lost (%s) before releasing neutral',
    async (code) => {
      const s = memorySessions();
      s.provider.afterStart = () => {
        throw new RetryableError(code, 'the connection broke during start');
      };
      await expect(s.sessions.checkout(pool)).rejects.toMatchObject({ code });
      expect(s.provider.stopped).toEqual(['p1']);
      expect(s.provider.running.size).toBe(0);
      expect(s.profiles.outcomes).toEqual(['neutral']);
    },
  );

  it("rests a profile whose home launcher is unreachable (neutral, unreachableRestMs) and tries another host's", async () => {
    const s = memorySessions({ profileIds: ['away-1', 'home-1'], unreachableRestMs: 30_000 });
    s.provider.beforeStart = (profile) => {
      if (profile.id === 'away-1') {
        throw new ProviderUnreachableError('http://10.231.0.13:45001', 'not reachable (ECONNREFUSED)');
      }
    };
    const before = Date.now();
    await expect(s.sessions.checkout(pool)).rejects.toBeInstanceOf(ProviderUnreachableError);
    const away = await s.profiles.get('away-1');
    expect(away).toMatchObject({ state: 'available', stats: { failures: 0, failStreak: 0 } });
    expect(away!.readyAt!).toBeGreaterThanOrEqual(before + 30_000);
    expect(s.profiles.outcomes).toEqual(['neutral']);
    // The resting profile is not offered again meanwhile: the next checkout gets the other host's.
    const next = await checkout(s);
    expect(next.session.profile.id).toBe('home-1');
  });

  it('quarantines through the policy when a profile keeps failing (failure streak)', async () => {
    const s = memorySessions({ release: { failureThreshold: 2 } });
    s.provider.beforeStart = () => {
      throw new Error('crashed');
    };
    await expect(s.sessions.checkout(pool)).rejects.toThrow('crashed');
    expect((await s.profiles.get('p1'))?.state).toBe('available');
    expect(s.sessions.stats.quarantined).toBe(0);
    await expect(s.sessions.checkout(pool)).rejects.toThrow('crashed');
    expect((await s.profiles.get('p1'))?.state).toBe('quarantined');
    expect(s.sessions.stats.quarantined).toBe(1);
    expect(await s.sessions.checkout(pool)).toBeNull();
  });
});

describe('ProfileSessions: quarantine by the caller', () => {
  it('stops the browser and keeps the profile out for the policy time', async () => {
    const s = memorySessions({ release: { quarantineMs: 5000 } });
    const { session } = await checkout(s);
    const before = Date.now();
    await s.sessions.quarantine(session, 'captcha wall');
    expect(session.state).toBe('released');
    expect(s.provider.running.size).toBe(0);
    const profile = await s.profiles.get('p1');
    expect(profile?.quarantine?.reason).toBe('captcha wall');
    expect(profile?.quarantine?.until).toBeGreaterThanOrEqual(before + 5000);
    expect(s.sessions.stats.quarantined).toBe(1);
    await s.sessions.giveBack(session, 'success', { keepWarm: false });
    expect(s.profiles.outcomes).toEqual([]);
  });
});

describe('ProfileSessions: lease loss', () => {
  it('logs "lease lost" when the release of a session finds its lease taken back', async () => {
    const warnings: string[] = [];
    const logger = { warn: (_: object, msg: string) => void warnings.push(msg) } as never;
    const s = memorySessions({ logger });
    const { session } = await checkout(s);
    await s.profiles.quarantine('p1', 'operator says no', null); // revokes the lease, unrenewed yet
    await s.sessions.giveBack(session, 'success', { keepWarm: false });
    expect(warnings).toContain('lease lost');
    expect(s.sessions.heldCount).toBe(0);
  });

  it('aborts the session, stops its browser and releases nothing when a renewal is refused', async () => {
    jest.useFakeTimers();
    const s = memorySessions({ renewEveryMs: 100 });
    const { session } = await checkout(s);
    await s.profiles.quarantine('p1', 'operator says no', null); // revokes the lease
    await tick(100);
    expect(session.lost.aborted).toBe(true);
    expect(session.lost.reason).toBeInstanceOf(LeaseLostError);
    expect(session.state).toBe('released');
    expect(s.provider.running.size).toBe(0);
    expect(s.sessions.stats.lost).toBe(1);
    expect(s.sessions.heldCount).toBe(0);
    await s.sessions.giveBack(session, 'success', { keepWarm: true });
    expect(s.profiles.outcomes).toEqual([]);
  });

  it('leaves the browser alone when the profile already has a new holder, a quarantine after it too', async () => {
    jest.useFakeTimers();
    const s = memorySessions({ renewEveryMs: 100 });
    const { session } = await checkout(s);
    await s.profiles.quarantine('p1', 'revoked', null);
    await s.profiles.unquarantine('p1');
    const theirs = await s.profiles.acquire(pool, 'w2', 'their-token', 60_000);
    expect(theirs?.fence).toBeGreaterThan(session.lease.fence);
    await tick(100);
    expect(session.state).toBe('released');
    expect(s.provider.stopped).toEqual([]);
    // The item then blames the profile: it is quarantined, but the browser may be the new holder's.
    await s.sessions.quarantine(session, 'captcha wall');
    expect(s.provider.stopped).toEqual([]);
    expect((await s.profiles.get('p1'))?.quarantine?.reason).toBe('captcha wall');
  });

  it('treats a renewal whose item was taken over (onRenew answers false) as lost, and releases the lease', async () => {
    jest.useFakeTimers();
    const s = memorySessions({ renewEveryMs: 100 });
    const { session } = await checkout(s);
    session.onRenew = async () => false;
    await tick(100);
    expect(session.lost.aborted).toBe(true);
    expect(s.provider.running.size).toBe(0);
    expect(s.profiles.outcomes).toEqual(['neutral']); // still ours: released so it need not wait for its TTL
  });

  it('keeps the lease through a renewal that fails for another reason (Redis hiccup)', async () => {
    jest.useFakeTimers();
    const s = memorySessions({ renewEveryMs: 100 });
    const { session } = await checkout(s);
    const renew = s.profiles.renew.bind(s.profiles);
    s.profiles.renew = async () => {
      throw new Error('connection reset');
    };
    await tick(100);
    expect(session.state).toBe('in-use');
    s.profiles.renew = renew;
    await tick(100);
    expect(session.lost.aborted).toBe(false);
    expect(session.lease.expiresAt).toBe(Date.now() + 60_000);
    await s.sessions.closeAll();
  });

  it('stops a browser that came up after its lease was lost during the start', async () => {
    jest.useFakeTimers();
    const s = memorySessions({ renewEveryMs: 100 });
    const open = s.provider.holdStarts();
    const out = s.sessions.checkout(pool).catch((e: unknown) => e);
    await tick(0);
    await s.profiles.quarantine('p1', 'revoked', null);
    await tick(100);
    expect(s.sessions.stats.lost).toBe(1);
    open();
    expect(await out).toBeInstanceOf(LeaseLostError);
    expect(s.provider.starts).toBe(1);
    expect(s.provider.running.size).toBe(0);
    expect(s.sessions.heldCount).toBe(0);
    expect(s.profiles.outcomes).toEqual([]);
  });

  it('stops a browser that came up after shutdown released its lease', async () => {
    const s = memorySessions();
    const open = s.provider.holdStarts();
    const out = s.sessions.checkout(pool).catch((e: unknown) => e);
    await new Promise((r) => setImmediate(r));
    await s.sessions.closeAll();
    expect(s.profiles.outcomes).toEqual(['neutral']);
    open();
    expect(await out).toBeInstanceOf(LeaseLostError);
    expect(s.provider.running.size).toBe(0);
  });
});

describe('ProfileSessions: shutdown (closeAll)', () => {
  it('after closeAll nothing is kept warm and a checkout gets nothing: no lease outlives the shutdown', async () => {
    const s = memorySessions({ profileIds: ['p1', 'p2'] });
    const { session } = await checkout(s);
    // An item still finishing while its worker shuts down (the shutdown gave up waiting on it).
    await s.sessions.closeAll();
    expect(s.profiles.leased).toBe(0);
    await s.sessions.giveBack(session, 'success', { keepWarm: true }); // already released: left alone
    expect(await s.sessions.checkout(pool)).toBeNull();
    expect(s.profiles.leased).toBe(0);
    expect(s.provider.running).toEqual(new Set());
    expect(s.sessions.heldCount).toBe(0);
  });

  it('a lease granted while closeAll runs is given straight back', async () => {
    const s = memorySessions({ profileIds: ['p1', 'p2'] });
    const { session } = await checkout(s);
    const late = s.sessions.checkout(pool); // its acquire is in flight when the shutdown starts
    const closing = s.sessions.closeAll();
    expect(await late).toBeNull();
    await closing;
    await s.sessions.giveBack(session, 'success', { keepWarm: true });
    expect(s.profiles.leased).toBe(0);
    expect(s.provider.running).toEqual(new Set());
    expect(s.sessions.heldCount).toBe(0);
  });

  it('closeAll ends only after a lease granted in flight was given back (the worker closes Redis next)', async () => {
    const s = memorySessions({ profileIds: ['p1'] });
    let grantNow: () => void = () => {};
    const granted = new Promise<void>((resolve) => {
      grantNow = resolve;
    });
    const acquire = s.profiles.acquire.bind(s.profiles);
    s.profiles.acquire = async (...args) => {
      await granted; // Redis answers the acquire only after the shutdown started
      return acquire(...args);
    };
    const late = s.sessions.checkout(pool);
    let closed = false;
    const closing = s.sessions.closeAll().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false); // still waiting for the acquire in flight
    grantNow();
    await closing;
    expect(s.profiles.leased).toBe(0); // given back before closeAll returned
    expect(await late).toBeNull();
  });
});
