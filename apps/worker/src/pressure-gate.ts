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
 * decrease, as Crawlee's AutoscaledPool scales, with one difference between the two resources:
 *
 * - Memory over its threshold halves the slots at each check (8, 4, 2, 1, 0: a host that stays
 *   over takes no new item at all). Memory is what kills a host (the OOM killer takes a browser).
 * - CPU over its threshold halves them too, but never below `cpuFloor`, one slot per core (a slot
 *   count already below it is not cut further by CPU, and grows back to it). A busy CPU cannot
 *   tell a host at its knee from an overloaded one: browsers keep every core busy from one slot per
 *   core on, where items/s peaks (capacity bench: 8.2, 9.7, 8.9, 8.4 items/s at c=1, 2, 4, 8 on 2
 *   cores), so a CPU gate free to go lower halved a host at its knee to 1 slot and cost it
 *   throughput (0.78x the knee at c=8, with the same 90% threshold). Past the floor, CPU pressure
 *   is the signal that more slots only share the same cores: halving finds the knee in a few checks.
 *
 * Once under every threshold the slots grow by one per check, but only while the worker fills them
 * (idle slots prove nothing about room), up to WORKER_CONCURRENCY. Halving rather than closing at
 * once keeps the items that saturate a host running: a gate that stopped everything at the first
 * hot second idled a host at its knee (measured: 0.38x the knee's items/s).
 */
export class PressureGate {
  private latest: PressureState;
  /** The fewest slots CPU pressure leaves (one per core, at most every slot). */
  readonly cpuFloor: number;

  constructor(
    readonly total: number,
    private limits: PressureLimits,
    cpuFloor: number,
  ) {
    this.cpuFloor = Math.max(1, Math.min(total, Math.floor(cpuFloor)));
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
    const slots = this.off ? this.total : this.next(over, busy);
    this.latest = { reading, over, slots };
    return this.latest;
  }

  private next(over: PressureState['over'], busy: number): number {
    const slots = this.latest.slots;
    const full = busy >= slots;
    if (over.memory) return Math.floor(slots / 2);
    if (over.cpu) {
      if (slots > this.cpuFloor) return Math.max(this.cpuFloor, Math.floor(slots / 2));
      return full ? Math.min(this.cpuFloor, slots + 1) : slots;
    }
    return full ? Math.min(this.total, slots + 1) : slots;
  }
}

function exceeds(value: number, max: number): boolean {
  return max > 0 && value > max;
}
