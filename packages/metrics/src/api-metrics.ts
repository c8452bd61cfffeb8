import { Counter, Gauge } from 'prom-client';
import { FleetMetrics, type MetricsOptions } from './registry.js';

/** The live states of the items queue (finished jobs are trimmed, so their counts say little). */
export const QUEUE_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'waiting-children'] as const;

/** One pool's profiles by state (the profile store's `counts(pool)`). */
export interface PoolCountsLike {
  pool: string;
  available: number;
  coolingDown: number;
  leased: number;
  quarantined: number;
}

/** Where the scrape-time gauges read from; each may fail (Redis down): that scrape skips them. */
export interface ApiSources {
  /** Job counts of the items queue for these states (BullMQ's `getJobCounts`). */
  queueCounts(states: readonly string[]): Promise<Record<string, number>>;
  /** Every pool's counts. */
  poolCounts(): Promise<PoolCountsLike[]>;
  /** Fair share (README "Sharing a fleet"): each API key's items waiting and running; none when off. */
  tenantCounts?(): Promise<Array<{ tenant: string; waiting: number; running: number }>>;
  /** Longest a scrape waits on one source before it gives up on it (ms). */
  timeoutMs: number;
}

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The API process's metrics. Labels never carry tenant data: routes are their patterns
 * (`/v1/batches/:id`), never a batch id; pools are operator-chosen names. One exception, asked for
 * by operators sharing a fleet: `fleet_tenant_items{tenant}` carries API key *names* (never a key),
 * a label as bounded as FLEET_API_KEYS.
 */
export class ApiMetrics extends FleetMetrics {
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  readonly batchesSubmitted: Counter;
  readonly batchesCancelled: Counter;
  private collecting = false;

  constructor(options: MetricsOptions = {}) {
    super(options);
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: 'fleet_http_requests_total',
      help: 'HTTP requests answered, by route pattern, method and status class (2xx, 4xx, ...).',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.batchesSubmitted = new Counter({
      name: 'fleet_batches_submitted_total',
      help: 'Batches created (an idempotent replay of a submit is not counted again).',
      registers,
    });
    this.batchesCancelled = new Counter({
      name: 'fleet_batches_cancelled_total',
      help: 'Batches cancelled (cancelling one again is not counted).',
      registers,
    });
  }

  /** Counts one answered request; `route` is the matched pattern, undefined for no route. */
  request(route: string | undefined, method: string, statusCode: number): void {
    this.httpRequests.inc({
      route: route ?? 'unmatched',
      method: route && HTTP_METHODS.has(method) ? method : 'other',
      status: `${Math.floor(statusCode / 100)}xx`,
    });
  }

  /**
   * Adds the gauges read at each scrape: `fleet_queue_jobs{state}` and
   * `fleet_pool_profiles{pool,state}`. A source that fails or outlasts `timeoutMs` leaves its
   * gauge empty for that scrape (absent, rather than a stale number) and is counted in
   * `fleet_metrics_collect_errors_total{source}`.
   */
  collectFrom(sources: ApiSources): void {
    if (this.collecting) throw new Error('ApiMetrics.collectFrom was called twice');
    this.collecting = true;
    const registers = [this.registry];
    const failures = new Set<string>();
    const inflight = new Set<Promise<void>>();
    /** Runs one source's reading; the errors counter (rendered last) waits for every reading. */
    const read = (source: string, run: () => Promise<void>): Promise<void> => {
      const reading = run().catch(() => {
        failures.add(source);
      });
      inflight.add(reading);
      return reading.finally(() => inflight.delete(reading));
    };
    new Gauge({
      name: 'fleet_queue_jobs',
      help: "Jobs in the items queue and the code scenarios' queues now, by state.",
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        return read('queue', async () => {
          const counts = await within(sources.queueCounts(QUEUE_STATES), sources.timeoutMs);
          for (const state of QUEUE_STATES) this.set({ state }, counts[state] ?? 0);
        });
      },
    });
    new Gauge({
      name: 'fleet_pool_profiles',
      help: 'Profiles of each pool now, by state: available, cooling (resting after use), leased, quarantined.',
      labelNames: ['pool', 'state'],
      registers,
      collect() {
        this.reset();
        return read('pools', async () => {
          const pools = await within(sources.poolCounts(), sources.timeoutMs);
          for (const c of pools) {
            this.set({ pool: c.pool, state: 'available' }, c.available);
            this.set({ pool: c.pool, state: 'cooling' }, c.coolingDown);
            this.set({ pool: c.pool, state: 'leased' }, c.leased);
            this.set({ pool: c.pool, state: 'quarantined' }, c.quarantined);
          }
        });
      },
    });
    const tenantCounts = sources.tenantCounts;
    if (tenantCounts) {
      new Gauge({
        name: 'fleet_tenant_items',
        help: "Each API key's items under fair share now: waiting (not yet handed to the queue) and running (handed, not finished).",
        labelNames: ['tenant', 'state'],
        registers,
        collect() {
          this.reset();
          return read('tenants', async () => {
            for (const t of await within(tenantCounts(), sources.timeoutMs)) {
              this.set({ tenant: t.tenant, state: 'waiting' }, t.waiting);
              this.set({ tenant: t.tenant, state: 'running' }, t.running);
            }
          });
        },
      });
    }
    // Registered after the gauges: the registry starts every metric's collection in order and at
    // once, so by the time this one collects, this scrape's readings have started; it waits for
    // them and so counts this scrape's failures in this scrape's answer.
    const errors = new Counter({
      name: 'fleet_metrics_collect_errors_total',
      help: 'Scrapes that could not read a source (Redis down or slow): its gauges were left out.',
      labelNames: ['source'],
      registers,
      async collect() {
        await Promise.all([...inflight]);
        for (const source of failures) this.inc({ source });
        failures.clear();
      },
    });
    for (const source of ['queue', 'pools', ...(tenantCounts ? ['tenants'] : [])]) errors.inc({ source }, 0);
  }
}

/** The promise, or a rejection once `ms` have passed (the promise's own outcome is then ignored). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref?.();
  });
  promise.catch(() => {}); // a late rejection must not surface as unhandled
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
