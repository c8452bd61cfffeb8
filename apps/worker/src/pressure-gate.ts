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
  /** Items that may be in flight now: 0 while over (running ones finish, none starts), else `ceiling`. */
  slots: number;
  /** The AIMD ceiling the slots come back to, 1..total. */
  ceiling: number;
}

/**
 * Decides how many items a worker may run from the host's readings, one check at a time (pure
 * arithmetic: readings are given, so tests inject them). While a resource is over its threshold
 * no new item starts (slots 0) and the ceiling halves (at least 1); once under, the ceiling grows
 * by one per check, but only while the worker fills it (idle slots prove nothing about room),
 * up to WORKER_CONCURRENCY. Additive increase, multiplicative decrease, as Crawlee's
 * AutoscaledPool scales: a host past its knee backs off fast and creeps back to where it fits.
 */
export class PressureGate {
  private ceilingNow: number;
  private latest: PressureState;

  constructor(
    readonly total: number,
    private limits: PressureLimits,
  ) {
    this.ceilingNow = total;
    this.latest = {
      reading: { cpuPercent: 0, memoryPercent: 0 },
      over: { cpu: false, memory: false },
      slots: total,
      ceiling: total,
    };
  }

  /** The thresholds in force; replaced at runtime by `setLimits`. */
  get thresholds(): PressureLimits {
    return this.limits;
  }

  setLimits(limits: PressureLimits): void {
    this.limits = limits;
  }

  /** Both thresholds off: the gate never closes. */
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
    if (this.off) {
      this.ceilingNow = this.total;
    } else if (over.cpu || over.memory) {
      this.ceilingNow = Math.max(1, Math.floor(this.ceilingNow / 2));
    } else if (busy >= this.ceilingNow) {
      this.ceilingNow = Math.min(this.total, this.ceilingNow + 1);
    }
    this.ceilingNow = Math.min(this.ceilingNow, this.total);
    const slots = over.cpu || over.memory ? 0 : this.ceilingNow;
    this.latest = { reading, over, slots, ceiling: this.ceilingNow };
    return this.latest;
  }
}

function exceeds(value: number, max: number): boolean {
  return max > 0 && value > max;
}
