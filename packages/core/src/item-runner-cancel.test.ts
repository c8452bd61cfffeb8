/**
 * The cancelled outcome of an attempt, over simple in-memory ports: an item of a cancelled batch
 * records nothing, publishes no item.completed/failed, gives its profile back `neutral` with the
 * browser stopped (never kept warm), and starts no browser when the batch was cancelled before.
 */
import type { FleetEvent, ItemJob, ItemResult, Step } from '@fleet/contracts';
import { BatchCancelledError, NonRetryableError } from './errors.js';
import { ItemRunner } from './item-runner.js';
import type { Lease, LeaseOutcome, PoolCounts, PoolSelector, ReleaseResult } from './lease.js';
import type { BrowserDriver, RunStepsOptions, StepsOutcome } from './ports/browser-driver.js';
import type {
  BatchProgress,
  ClaimExtension,
  ClaimStatus,
  EventPublisher,
  ItemRef,
  RecordOutcome,
  ResultStore,
} from './ports/item-stores.js';
import type { ProfileProvider, WebDriverEndpoint } from './ports/profile-provider.js';
import type { ProfileStore } from './ports/profile-store.js';
import type { Profile } from './profile.js';
import { ProfileAllocationService } from './profile-allocation-service.js';
import { ProfileSessions } from './profile-sessions.js';

/** Leases over a map: enough of ProfileStore for ProfileSessions (the rest is never called here). */
class MemoryProfiles implements ProfileStore {
  readonly profiles = new Map<string, Profile>();
  readonly releases: LeaseOutcome[] = [];
  private fence = 0;

  add(id: string): void {
    const now = Date.now();
    this.profiles.set(id, {
      id,
      pool: 'default',
      tags: [],
      providerIds: {},
      proxy: null,
      state: 'available',
      readyAt: 0,
      lease: null,
      quarantine: null,
      fence: 0,
      stats: { leases: 0, successes: 0, failures: 0, failStreak: 0, lastReleasedAt: null },
      createdAt: now,
      updatedAt: now,
    });
  }

  get leased(): number {
    return [...this.profiles.values()].filter((p) => p.state === 'leased').length;
  }

  async acquire(selector: PoolSelector, owner: string, token: string, ttlMs: number): Promise<Lease | null> {
    const profile = [...this.profiles.values()].find(
      (p) => p.pool === selector.pool && p.state === 'available',
    );
    if (!profile) return null;
    const now = Date.now();
    const lease = {
      profileId: profile.id,
      pool: profile.pool,
      owner,
      token,
      fence: ++this.fence,
      grantedAt: now,
      expiresAt: now + ttlMs,
    };
    Object.assign(profile, {
      state: 'leased',
      fence: lease.fence,
      lease: { owner, fence: lease.fence, expiresAt: lease.expiresAt },
    });
    return lease;
  }

  async renew(lease: Lease, ttlMs: number): Promise<Lease> {
    const profile = this.profiles.get(lease.profileId)!;
    const expiresAt = Date.now() + ttlMs;
    profile.lease = { owner: lease.owner, fence: lease.fence, expiresAt };
    return { ...lease, expiresAt };
  }

  async release(lease: Lease, outcome: LeaseOutcome): Promise<ReleaseResult> {
    this.releases.push(outcome);
    Object.assign(this.profiles.get(lease.profileId)!, { state: 'available', lease: null });
    return { quarantined: false, releasedAt: Date.now() };
  }

  async get(profileId: string): Promise<Profile | null> {
    return this.profiles.get(profileId) ?? null;
  }

  async reclaimExpired() {
    return [];
  }

  async counts(pool: string): Promise<PoolCounts> {
    return {
      pool,
      registered: this.profiles.size,
      available: 0,
      coolingDown: 0,
      leased: this.leased,
      quarantined: 0,
    };
  }

  register(): never {
    throw new Error('not used');
  }
  update(): never {
    throw new Error('not used');
  }
  unregister(): never {
    throw new Error('not used');
  }
  list(): never {
    throw new Error('not used');
  }
  pools(): never {
    throw new Error('not used');
  }
  quarantine(): never {
    throw new Error('not used');
  }
  unquarantine(): never {
    throw new Error('not used');
  }
}

/** Browsers that "run" between start and stop. */
class MemoryProvider implements ProfileProvider {
  readonly running = new Set<string>();
  starts = 0;
  async prepare(): Promise<void> {}
  async start(profile: Profile): Promise<WebDriverEndpoint> {
    this.starts++;
    this.running.add(profile.id);
    return { protocol: 'http', hostname: '127.0.0.1', port: 1, path: '/' };
  }
  async stop(profile: Profile): Promise<void> {
    this.running.delete(profile.id);
  }
  async status(profile: Profile) {
    return this.running.has(profile.id) ? ('running' as const) : ('stopped' as const);
  }
}

/**
 * Results with the same rules as the Redis store (first result wins, fenced writes, a cancelled
 * batch refuses claims, extensions and records).
 */
class MemoryResults implements ResultStore {
  readonly batches = new Map<
    string,
    { total: number; cancelled: boolean; results: Map<number, ItemResult>; claims: Map<number, number> }
  >();

  add(batchId: string, total: number): void {
    this.batches.set(batchId, { total, cancelled: false, results: new Map(), claims: new Map() });
  }

  cancel(batchId: string): void {
    this.batches.get(batchId)!.cancelled = true;
  }

  async claim(ref: ItemRef, fence: number): Promise<ClaimStatus> {
    const b = this.batches.get(ref.batchId)!;
    if (b.results.has(ref.index)) return 'recorded';
    if (b.cancelled) return 'cancelled';
    b.claims.set(ref.index, fence); // the latest claim wins, as in claim-3.lua
    return 'claimed';
  }

  async extendClaim(ref: ItemRef, fence: number): Promise<ClaimExtension> {
    const b = this.batches.get(ref.batchId)!;
    if (b.cancelled) return 'cancelled';
    return b.claims.get(ref.index) === fence ? 'extended' : 'stale';
  }

  async record(ref: ItemRef, fence: number, result: ItemResult): Promise<RecordOutcome> {
    const b = this.batches.get(ref.batchId)!;
    const status = b.results.has(ref.index)
      ? 'duplicate'
      : b.cancelled
        ? 'cancelled'
        : b.claims.get(ref.index) === fence
          ? 'recorded'
          : 'stale';
    if (status === 'recorded') b.results.set(ref.index, result);
    return { status, batch: (await this.progress(ref.batchId))! };
  }

  async get(ref: ItemRef): Promise<ItemResult | null> {
    return this.batches.get(ref.batchId)?.results.get(ref.index) ?? null;
  }

  async progress(batchId: string): Promise<BatchProgress | null> {
    const b = this.batches.get(batchId);
    if (!b) return null;
    const all = [...b.results.values()];
    const completed = all.filter((r) => r.state === 'completed').length;
    const failed = all.length - completed;
    return { total: b.total, completed, failed, done: completed + failed >= b.total };
  }

  async isCancelled(batchId: string): Promise<boolean> {
    return this.batches.get(batchId)?.cancelled ?? false;
  }
}

class MemoryEvents implements EventPublisher {
  readonly events: Omit<FleetEvent, 'id'>[] = [];
  async publish(event: Omit<FleetEvent, 'id'>): Promise<string> {
    this.events.push(event);
    return String(this.events.length);
  }
  get types(): string[] {
    return this.events.map((e) => e.type);
  }
}

/**
 * Like the WebdriverIO driver: runs until `finish()` is called, or rejects with `ABORTED` when the
 * signal fires. `ignoreAbort` makes it finish normally even when aborted (a run that ended just as
 * the cancel came).
 */
class GatedDriver implements BrowserDriver {
  started = 0;
  ignoreAbort = false;
  private gate: (() => void) | null = null;
  private onStart: (() => void) | null = null;

  whenStarted(): Promise<void> {
    if (this.started > 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.onStart = resolve;
    });
  }

  finish(): void {
    this.gate?.();
  }

  run(_endpoint: WebDriverEndpoint, _steps: Step[], options: RunStepsOptions): Promise<StepsOutcome> {
    this.started++;
    this.onStart?.();
    return new Promise((resolve, reject) => {
      const done = () => resolve({ data: { ok: true }, artifacts: {}, url: null, title: null });
      this.gate = done;
      if (this.ignoreAbort) return;
      const abort = () => reject(new NonRetryableError('ABORTED', 'the run was aborted'));
      if (options.signal.aborted) abort();
      else options.signal.addEventListener('abort', abort, { once: true });
    });
  }
}

const BATCH = 'b1';
const job: ItemJob = {
  batchId: BATCH,
  index: 0,
  selector: { pool: 'default' },
  steps: [{ sleep: 1 }],
  itemTimeoutMs: 60_000,
  stepTimeoutMs: 15_000,
};

function setup(options: { renewEveryMs?: number } = {}) {
  const profiles = new MemoryProfiles();
  profiles.add('p1');
  const provider = new MemoryProvider();
  const results = new MemoryResults();
  results.add(BATCH, 2);
  const events = new MemoryEvents();
  const driver = new GatedDriver();
  const allocation = new ProfileAllocationService(profiles, {
    leaseTtlMs: 60_000,
    release: { cooldownMs: 0, failureThreshold: 3, quarantineMs: 60_000 },
  });
  const sessions = new ProfileSessions(allocation, provider, {
    owner: 'w1',
    warmIdleMs: 60_000, // warm reuse on: a cancelled item must still not keep its profile
    renewEveryMs: options.renewEveryMs ?? 60_000,
  });
  const runner = new ItemRunner({ sessions, results, events, driver });
  const controller = new AbortController();
  const ctx = { attempt: 1, maxAttempts: 3, signal: controller.signal };
  return { profiles, provider, results, events, driver, sessions, runner, controller, ctx };
}

type Setup = ReturnType<typeof setup>;

/** What every cancelled attempt leaves behind: nothing recorded or announced, nothing held. */
function expectCleanCancel(s: Setup) {
  expect(s.results.batches.get(BATCH)!.results.size).toBe(0);
  expect(s.events.types.filter((t) => t !== 'item.started')).toEqual([]);
  expect(s.provider.running.size).toBe(0);
  expect(s.sessions.heldCount).toBe(0);
  expect(s.profiles.leased).toBe(0);
}

describe('ItemRunner: a cancelled batch', () => {
  it('drops an item of an already-cancelled batch without starting a browser', async () => {
    const s = setup();
    s.results.cancel(BATCH);
    expect(await s.runner.run(job, s.ctx)).toEqual({ kind: 'cancelled' });
    expect(s.provider.starts).toBe(0);
    expect(s.profiles.releases).toEqual([]);
    expectCleanCancel(s);
    expect(s.events.events).toEqual([]);
  });

  it('aborts a running item whose signal fires with BatchCancelledError', async () => {
    const s = setup();
    const outcome = s.runner.run(job, s.ctx);
    await s.driver.whenStarted();
    s.results.cancel(BATCH); // the store is marked first, then the bus tells the worker
    s.controller.abort(new BatchCancelledError(BATCH));
    expect(await outcome).toEqual({ kind: 'cancelled' });
    expect(s.profiles.releases).toEqual(['neutral']);
    expectCleanCancel(s);
  });

  it('stops the item when extending its claim at lease renewal answers cancelled (missed bus message)', async () => {
    const s = setup({ renewEveryMs: 10 });
    const outcome = s.runner.run(job, s.ctx);
    await s.driver.whenStarted();
    s.results.cancel(BATCH); // and no signal: this worker never heard of it
    expect(await outcome).toEqual({ kind: 'cancelled' });
    expect(s.ctx.signal.aborted).toBe(false);
    expect(s.profiles.releases).toEqual(['neutral']);
    expectCleanCancel(s);
  });

  it('records nothing when the run ends just after the cancel (record refused)', async () => {
    const s = setup();
    s.driver.ignoreAbort = true;
    const outcome = s.runner.run(job, s.ctx);
    await s.driver.whenStarted();
    s.results.cancel(BATCH);
    s.driver.finish();
    expect(await outcome).toEqual({ kind: 'cancelled' });
    expect(s.profiles.releases).toEqual(['neutral']);
    expectCleanCancel(s);
  });

  it('gives back a freshly started browser when the claim is refused', async () => {
    const s = setup();
    // Cancelled after the runner's first look, before its claim: the claim says so.
    const isCancelled = s.results.isCancelled.bind(s.results);
    s.results.isCancelled = async (id) => {
      const answer = await isCancelled(id);
      s.results.cancel(BATCH);
      return answer;
    };
    expect(await s.runner.run(job, s.ctx)).toEqual({ kind: 'cancelled' });
    expect(s.provider.starts).toBe(1);
    expect(s.driver.started).toBe(0);
    expect(s.profiles.releases).toEqual(['neutral']);
    expectCleanCancel(s);
    expect(s.events.events).toEqual([]);
  });

  it('still keeps a profile warm after a completed item, and aborts for other reasons as before', async () => {
    const s = setup();
    const done = s.runner.run(job, s.ctx);
    await s.driver.whenStarted();
    s.driver.finish();
    expect(await done).toMatchObject({ kind: 'recorded', result: { state: 'completed' } });
    expect(s.sessions.heldCount).toBe(1); // warm
    expect(s.provider.running.size).toBe(1);

    const next = s.runner.run({ ...job, index: 1 }, s.ctx);
    await new Promise((r) => setImmediate(r));
    s.controller.abort('lock lost');
    expect(await next).toEqual({ kind: 'lost', reason: 'lock lost' });
    await s.sessions.closeAll();
  });
});

describe('ProfileSessions: a proxy password still sealed', () => {
  it('is never handed to the provider: the start fails with SECRET_KEY_MISSING and the profile is given back', async () => {
    const s = setup();
    const profile = s.profiles.profiles.get('p1')!;
    profile.proxy = { type: 'http', host: 'h', port: 1, password: 'enc:v1:AAAA' };
    await expect(s.sessions.checkout({ pool: 'default' })).rejects.toMatchObject({
      code: 'SECRET_KEY_MISSING',
    });
    expect(s.provider.starts).toBe(0);
    expect(s.sessions.heldCount).toBe(0);
    expect(s.profiles.leased).toBe(0);
    expect(s.profiles.releases).toEqual(['neutral']); // a configuration problem, not the profile's fault
  });
});
