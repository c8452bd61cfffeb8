import { Counter, Gauge, Histogram } from 'prom-client';
import { FleetMetrics, type MetricsOptions } from './registry.js';

/** What `ProfileSessions.stats` counts (core keeps its own numbers; they are read at scrape). */
export interface SessionStats {
  starts: number;
  warmReuses: number;
  lost: number;
  /** Profiles this worker quarantined (a profile fault, or a failure streak at release). */
  quarantined: number;
}

export interface WorkerSources {
  sessionStats(): SessionStats;
  /** Profiles this worker holds now (running items and idle warm ones). */
  heldProfiles(): number;
}

/** The end of an item as recorded (completed, or failed for good). */
export interface RecordedItem {
  state: 'completed' | 'failed';
  durationMs: number;
  error?: { code: string } | null;
}

/** The part of the worker metrics the item processor feeds. */
export interface ItemMetrics {
  itemRecorded(result: RecordedItem): void;
  itemRetried(code: string): void;
  acquireWaited(): void;
  /** An item put back because its site was at its limit (README "Sharing a fleet"). */
  siteWaited(site: string): void;
}

/** One check of the host-pressure gate (WORKER_MAX_CPU_PERCENT, WORKER_MAX_MEMORY_PERCENT). */
export interface PressureCheck {
  reading: { cpuPercent: number; memoryPercent: number };
  over: { cpu: boolean; memory: boolean };
  /** Items this worker may have in flight now (fewer while the host is over a threshold: down to 0 for memory, one per core for CPU). */
  slots: number;
}

/** Seconds; items run from well under a second (warm, one page) to minutes (many steps). */
export const ITEM_DURATION_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600];

/**
 * A worker process's metrics. Item counters are fed by the item processor as outcomes come;
 * browser starts, warm reuses and lost leases are `ProfileSessions.stats`, read at scrape time.
 * Counts are per process: sum over workers in Prometheus.
 */
export class WorkerMetrics extends FleetMetrics implements ItemMetrics {
  readonly items: Counter<'state' | 'code'>;
  readonly itemDuration: Histogram<'state'>;
  readonly retries: Counter<'code'>;
  readonly acquireWaits: Counter;
  readonly siteWaits: Counter<'site'>;
  readonly providerUnreachable: Counter<'launcher'>;
  readonly pressure: Gauge<'resource'>;
  readonly slotsAllowed: Gauge;
  readonly pressureThrottled: Counter<'resource'>;
  /**
   * Label children of the per-item series, made once: `inc({ state })` hashes its labels on every
   * call (prom-client), a cost paid per item on the worker's hot path (issue 17, the CPU profile).
   * Error codes are a closed set (contracts' error codes), so the failed children stay few.
   */
  private readonly completedItems: Counter.Internal;
  private readonly failedItems = new Map<string, Counter.Internal>();
  private readonly durations: Record<RecordedItem['state'], Histogram.Internal<'state'>>;

  constructor(sources: WorkerSources, options: MetricsOptions = {}) {
    super(options);
    const registers = [this.registry];
    this.items = new Counter({
      name: 'fleet_items_total',
      help: 'Items recorded by this worker, by state (completed, failed) and, for failures, error code.',
      labelNames: ['state', 'code'],
      registers,
    });
    this.itemDuration = new Histogram({
      name: 'fleet_item_duration_seconds',
      help: 'Duration of recorded items (lease, start or warm reuse, steps, record), by state.',
      labelNames: ['state'],
      buckets: ITEM_DURATION_BUCKETS,
      registers,
    });
    this.retries = new Counter({
      name: 'fleet_item_retries_total',
      help: 'Attempts that failed and will be retried (with backoff), by error code.',
      labelNames: ['code'],
      registers,
    });
    this.acquireWaits = new Counter({
      name: 'fleet_lease_acquire_waits_total',
      help: 'Items that found no free profile in their pool and were put back to wait (no attempt spent).',
      registers,
    });
    this.siteWaits = new Counter({
      name: 'fleet_site_waits_total',
      help: 'Items put back because their site was at its limit (a batch perSite or an admin rule; no attempt spent), by host.',
      labelNames: ['site'],
      registers,
    });
    this.providerUnreachable = new Counter({
      name: 'fleet_provider_unreachable_total',
      help: 'Calls to a profile provider (a launcher, a Multilogin agent) that could not reach it, by its URL.',
      labelNames: ['launcher'],
      registers,
    });
    this.pressure = new Gauge({
      name: 'fleet_worker_pressure',
      help: "The host's load as the worker's pressure gate last read it, percent: cpu (all cores, over the check window), memory (in use; a cgroup limit when tighter).",
      labelNames: ['resource'],
      registers,
    });
    this.slotsAllowed = new Gauge({
      name: 'fleet_worker_slots_allowed',
      help: 'Items this worker may have in flight now: WORKER_CONCURRENCY, halved at each pressure check over a threshold (memory: down to 0; CPU: down to one per core), one more per check under.',
      registers,
    });
    this.pressureThrottled = new Counter({
      name: 'fleet_worker_pressure_throttled_total',
      help: 'Pressure checks that found the host over a threshold (each halved the slots, CPU not below one per core), by resource.',
      labelNames: ['resource'],
      registers,
    });
    for (const resource of ['cpu', 'memory']) this.pressureThrottled.inc({ resource }, 0);
    this.completedItems = this.items.labels({ state: 'completed' });
    this.durations = {
      completed: this.itemDuration.labels({ state: 'completed' }),
      failed: this.itemDuration.labels({ state: 'failed' }),
    };
    fromTotal(
      'fleet_browser_starts_total',
      'Browsers started (a fresh profile start).',
      registers,
      () => sources.sessionStats().starts,
    );
    fromTotal(
      'fleet_browser_warm_reuses_total',
      'Items that ran on a warm browser kept from an earlier item (no start).',
      registers,
      () => sources.sessionStats().warmReuses,
    );
    fromTotal(
      'fleet_leases_lost_total',
      'Leases this worker lost while holding them (renewal refused): the item was aborted.',
      registers,
      () => sources.sessionStats().lost,
    );
    fromTotal(
      'fleet_profiles_quarantined_total',
      'Profiles this worker put in quarantine: a profile fault (proxy dead, profile locked) or a failure streak (PROFILE_FAILURE_THRESHOLD).',
      registers,
      () => sources.sessionStats().quarantined,
    );
    new Gauge({
      name: 'fleet_profiles_held',
      help: 'Profiles this worker holds now (running items and idle warm browsers).',
      registers,
      collect() {
        this.set(sources.heldProfiles());
      },
    });
  }

  itemRecorded(result: RecordedItem): void {
    if (result.state === 'failed') this.failedItem(result.error?.code ?? 'UNKNOWN').inc();
    else this.completedItems.inc();
    this.durations[result.state].observe(Math.max(0, result.durationMs) / 1000);
  }

  private failedItem(code: string): Counter.Internal {
    let child = this.failedItems.get(code);
    if (!child) {
      child = this.items.labels({ state: 'failed', code });
      this.failedItems.set(code, child);
    }
    return child;
  }

  itemRetried(code: string): void {
    this.retries.inc({ code });
  }

  acquireWaited(): void {
    this.acquireWaits.inc();
  }

  siteWaited(site: string): void {
    this.siteWaits.inc({ site });
  }

  providerUnreachableSeen(launcher: string): void {
    this.providerUnreachable.inc({ launcher });
  }

  pressureChecked(check: PressureCheck): void {
    this.pressure.set({ resource: 'cpu' }, check.reading.cpuPercent);
    this.pressure.set({ resource: 'memory' }, check.reading.memoryPercent);
    this.slotsAllowed.set(check.slots);
    if (check.over.cpu) this.pressureThrottled.inc({ resource: 'cpu' });
    if (check.over.memory) this.pressureThrottled.inc({ resource: 'memory' });
  }
}

/** A counter whose value is a running total kept elsewhere (read at scrape). */
function fromTotal(name: string, help: string, registers: FleetMetrics['registry'][], total: () => number) {
  return new Counter({
    name,
    help,
    registers,
    collect() {
      this.reset();
      this.inc(total());
    },
  });
}
