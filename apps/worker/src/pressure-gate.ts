/** What the host looks like now: CPU busy over the last window and memory in use, in percent. */
export interface PressureReading {
  cpuPercent: number;
  memoryPercent: number;
}

/** The worker's thresholds (WORKER_MAX_CPU_PERCENT, WORKER_MAX_MEMORY_PERCENT), percent; 0 = off. */
export interface PressureLimits {
  maxCpuPercent: number;
  maxMemoryPercent: number;
}

/** What one check decided. */
export interface PressureState {
  reading: PressureReading;
  /** Which resources are over their threshold. */
  over: { cpu: boolean; memory: boolean };
  /** Items that may be in flight now, 0..total: running ones above it finish, no new one starts. */
  slots: number;
}

/**
 * Decides how many items a worker may have in flight from the host's readings, one check at a time
 * (pure arithmetic: readings are given, so tests inject them). Additive increase, multiplicative
 * decrease, as Crawlee's AutoscaledPool scales: while a resource is over its threshold the slots
 * halve at each check (8, 4, 2, 1, 0: a host that stays over takes no new item at all), and once
 * under they grow by one per check, but only while the worker fills them (idle slots prove nothing
 * about room), up to WORKER_CONCURRENCY. Halving rather than closing at once keeps the items that
 * saturate a host running: on a host at its knee the CPU is near 100% anyway, and a gate that
 * stopped everything at the first hot second would idle it (measured: 0.38x the knee's items/s).
 */
export class PressureGate {
  private latest: PressureState;

  constructor(
    readonly total: number,
    private limits: PressureLimits,
  ) {
    this.latest = {
      reading: { cpuPercent: 0, memoryPercent: 0 },
      over: { cpu: false, memory: false },
      slots: total,
    };
  }

  /** The thresholds in force; replaced at runtime by `setLimits`. */
  get thresholds(): PressureLimits {
    return this.limits;
  }

  setLimits(limits: PressureLimits): void {
    this.limits = limits;
  }

  /** Both thresholds off: every slot, always. */
  get off(): boolean {
    return this.limits.maxCpuPercent <= 0 && this.limits.maxMemoryPercent <= 0;
  }

  get state(): PressureState {
    return this.latest;
  }

  /** One check: `reading` of the host, `busy` items running now. */
  observe(reading: PressureReading, busy: number): PressureState {
    const over = {
      cpu: exceeds(reading.cpuPercent, this.limits.maxCpuPercent),
      memory: exceeds(reading.memoryPercent, this.limits.maxMemoryPercent),
    };
    let slots = this.latest.slots;
    if (this.off) slots = this.total;
    else if (over.cpu || over.memory) slots = Math.floor(slots / 2);
    else if (busy >= slots) slots = Math.min(this.total, slots + 1);
    this.latest = { reading, over, slots };
    return this.latest;
  }
}

function exceeds(value: number, max: number): boolean {
  return max > 0 && value > max;
}
