import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { PressureReading } from './pressure-gate.js';

/** Reads a file's text, or null when it is not there (no cgroup v2, not Linux). */
export type ReadText = (path: string) => string | null;

const readText: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

interface CpuTimes {
  busy: number;
  total: number;
}

/** The aggregate `cpu` line of /proc/stat: every core, in jiffies; idle and iowait are not busy. */
export function cpuTimes(stat: string): CpuTimes | null {
  const line = stat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  // user nice system idle iowait irq softirq steal (guest time is already inside user and nice)
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 4 || fields.some((n) => !Number.isFinite(n))) return null;
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** Percent of memory in use: the host's (MemTotal − MemAvailable) or, when tighter, the cgroup's. */
export function memoryPercent(
  meminfo: string | null,
  cgroupMax: string | null,
  cgroupCurrent: string | null,
  cgroupStat: string | null = null,
) {
  const kib = (name: string) => {
    const m = meminfo?.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : null;
  };
  const total = kib('MemTotal');
  const available = kib('MemAvailable');
  let percent = total && available !== null ? (100 * (total - available)) / total : 0;
  // A cgroup v2 limit ("max" = none) is where the kernel kills the container first. Its current
  // count includes page cache the kernel gives back before it kills (screenshots written fill it),
  // so the inactive file cache is left out, as the kubelet's working set does: else a pod that
  // wrote files would sit near its limit and take no item, with nothing to free.
  const max = Number(cgroupMax?.trim());
  const inactiveFile = Number(cgroupStat?.match(/^inactive_file (\d+)$/m)?.[1] ?? 0);
  const current = Number(cgroupCurrent?.trim()) - inactiveFile;
  if (Number.isFinite(max) && max > 0 && Number.isFinite(current)) {
    percent = Math.max(percent, (100 * Math.max(0, current)) / max);
  }
  return percent;
}

/**
 * The cores this process may use: the CPUs it may run on (`os.availableParallelism()`, which
 * follows the affinity mask and cpusets) or, when fewer, a cgroup v2 CPU quota
 * (/sys/fs/cgroup/cpu.max, "quota period" or "max period"), rounded up; at least 1.
 */
export function cpuCores(cpuMax: string | null, parallelism: number): number {
  let cores = Math.max(1, Math.floor(parallelism));
  const [quota, period] = cpuMax?.trim().split(/\s+/).map(Number) ?? [];
  if (quota !== undefined && period !== undefined && quota > 0 && period > 0) {
    cores = Math.min(cores, Math.max(1, Math.ceil(quota / period)));
  }
  return cores;
}

/**
 * The host's CPU and memory as the pressure gate reads them. CPU is the whole host (all cores,
 * /proc/stat) busy over the time since the previous `read()`, so the caller's check interval is
 * the window; memory is /proc/meminfo's MemAvailable, or the cgroup v2 limit
 * (/sys/fs/cgroup/memory.max, memory.current less memory.stat's inactive_file) when tighter.
 */
export class HostReadings {
  private last: CpuTimes | null;

  constructor(private readonly read: ReadText = readText) {
    this.last = cpuTimes(this.read('/proc/stat') ?? '');
  }

  /** The cores this process may use (`cpuCores`): the pressure gate's CPU floor, one slot per core. */
  cores(parallelism = availableParallelism()): number {
    return cpuCores(this.read('/sys/fs/cgroup/cpu.max'), parallelism);
  }

  sample(): PressureReading {
    const now = cpuTimes(this.read('/proc/stat') ?? '');
    let cpuPercent = 0;
    if (now && this.last && now.total > this.last.total) {
      cpuPercent = (100 * (now.busy - this.last.busy)) / (now.total - this.last.total);
    }
    if (now) this.last = now;
    return {
      cpuPercent,
      memoryPercent: memoryPercent(
        this.read('/proc/meminfo'),
        this.read('/sys/fs/cgroup/memory.max'),
        this.read('/sys/fs/cgroup/memory.current'),
        this.read('/sys/fs/cgroup/memory.stat'),
      ),
    };
  }
}
