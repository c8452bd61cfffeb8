/**
 * The soak's verdict on one sampled series: does it still grow at the end of a phase?
 *
 * Growth = the least-squares slope over the phase's last quarter × that quarter's duration. A
 * series is flat when its growth is within noise (a series that shrinks is flat too: the question is
 * what grows): at most 5% of the series' mean over that quarter,
 * or at most an absolute floor of its own (a few keys, a few MiB; `SERIES`), whichever is larger.
 * The slope, not last minus first, so one sample caught mid-burst (a batch just finished, its keys
 * not yet expired) does not decide; the last quarter, so the fill-up before retention starts to
 * remove anything is not counted as growth. At least 4 samples in the quarter, else no verdict.
 */
export interface Point {
  /** Seconds since the phase began. */
  t: number;
  v: number;
}

export interface SeriesSpec {
  unit: string;
  /** Growth over the last quarter that always counts as noise, in the series' unit. */
  floor: number;
}

const MIB = 1024 * 1024;

/** What is sampled, with its noise floor (growth this small is noise whatever the mean). */
export const SERIES: Record<string, SeriesSpec> = {
  redisUsedMemory: { unit: 'bytes', floor: 2 * MIB },
  redisKeys: { unit: 'keys', floor: 50 },
  streamLength: { unit: 'entries', floor: 100 },
  batchIndex: { unit: 'entries', floor: 5 },
  bullCompleted: { unit: 'jobs', floor: 20 },
  bullFailed: { unit: 'jobs', floor: 20 },
  workerRss: { unit: 'bytes', floor: 16 * MIB },
  workerFds: { unit: 'fds', floor: 5 },
  workerHeap: { unit: 'bytes', floor: 8 * MIB },
  launcherRss: { unit: 'bytes', floor: 16 * MIB },
  launcherFds: { unit: 'fds', floor: 5 },
  apiRss: { unit: 'bytes', floor: 16 * MIB },
  apiFds: { unit: 'fds', floor: 5 },
  apiHeap: { unit: 'bytes', floor: 8 * MIB },
  chromiums: { unit: 'processes', floor: 2 },
  chromiumRss: { unit: 'bytes', floor: 64 * MIB },
  artifactsBytes: { unit: 'bytes', floor: 2 * MIB },
};

/** Share of the mean that counts as noise. */
export const NOISE_SHARE = 0.05;
export const MIN_POINTS = 4;

export interface Verdict {
  /** Slope over the last quarter, unit per minute. */
  slopePerMin: number;
  /** slope × the quarter's duration. */
  growth: number;
  /** Mean over the last quarter. */
  mean: number;
  /** The noise allowance used: max(NOISE_SHARE × mean, floor). */
  allowed: number;
  points: number;
  /** null: too few samples in the last quarter to judge. */
  flat: boolean | null;
}

/** Least-squares slope of v over t (per unit of t); 0 for fewer than 2 points or no spread in t. */
export function slope(points: Point[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const mv = points.reduce((s, p) => s + p.v, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.v - mv);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** The verdict on one series of one phase (points in time order). */
export function judge(points: Point[], spec: SeriesSpec): Verdict {
  const first = points[0]?.t ?? 0;
  const last = points.at(-1)?.t ?? 0;
  const quarterStart = last - (last - first) / 4;
  const quarter = points.filter((p) => p.t >= quarterStart);
  const perSec = slope(quarter);
  const duration = (quarter.at(-1)?.t ?? 0) - (quarter[0]?.t ?? 0);
  const growth = perSec * duration;
  const mean = quarter.length === 0 ? 0 : quarter.reduce((s, p) => s + p.v, 0) / quarter.length;
  const allowed = Math.max(NOISE_SHARE * Math.abs(mean), spec.floor);
  return {
    slopePerMin: perSec * 60,
    growth,
    mean,
    allowed,
    points: quarter.length,
    flat: quarter.length < MIN_POINTS ? null : growth <= allowed,
  };
}
