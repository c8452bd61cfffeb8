/**
 * One sample of everything the soak watches (soak.bench.ts): Redis (used_memory, DBSIZE, the event
 * stream's XLEN, the batch index's size, BullMQ's completed/failed sets, keys by family), the
 * apps' RSS and open file descriptors from /proc, Chromium processes under the launcher's data
 * dir and their RSS, and the bytes of artifacts on disk.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ItemsQueue } from '@fleet/queue';
import type { FleetRedis } from '@fleet/redis';
import { chromiumsUnder, keyFamilies } from '@fleet/testing';

export interface Sample {
  phase: string;
  /** Seconds since the phase began. */
  t: number;
  /** Items of the phase recorded so far. */
  itemsDone: number;
  values: Record<string, number>;
  /** Keys by family (`keyFamily`), the ten largest. */
  families: Record<string, number>;
}

/** VmRSS of a process, bytes (0 when it is gone). */
export function rssOf(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Open file descriptors of a process (0 when it is gone). */
export function fdsOf(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/** Bytes of the files under `dir` (0 when it does not exist). */
export function bytesUnder(dir: string): number {
  let total = 0;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of entries) {
    const path = join(dir, name);
    try {
      const stat = statSync(path);
      total += stat.isDirectory() ? bytesUnder(path) : stat.size;
    } catch {
      // removed meanwhile (the sweeper)
    }
  }
  return total;
}

/** `nodejs_heap_size_used_bytes` from an app's /metrics (null when it does not answer). */
async function heapUsed(url: string): Promise<number | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    const match = /^nodejs_heap_size_used_bytes (\d+(?:\.\d+)?)/m.exec(await res.text());
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

export interface ProbeTargets {
  redis: FleetRedis;
  queue: ItemsQueue;
  streamKey: string;
  /** The global batch index (a sorted set): one entry per batch until something drops it. */
  batchIndexKey: string;
  /** Pids by app name (worker, launcher, api); a missing one is not sampled. */
  pids: () => Record<string, number>;
  /** Prometheus endpoints by app name (worker, api): their V8 heap in use is sampled too. */
  metrics: () => Record<string, string>;
  launcherDir: string;
  artifactsDir: string;
}

export async function probe(targets: ProbeTargets): Promise<Omit<Sample, 'phase' | 't' | 'itemsDone'>> {
  const { redis } = targets;
  const info = await redis.info('memory');
  const usedMemory = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
  const [keys, streamLength, batchIndex, completed, failed] = await Promise.all([
    redis.dbsize(),
    redis.xlen(targets.streamKey),
    redis.zcard(targets.batchIndexKey),
    targets.queue.getCompletedCount(),
    targets.queue.getFailedCount(),
  ]);
  const values: Record<string, number> = {
    redisUsedMemory: usedMemory,
    redisKeys: keys,
    streamLength,
    batchIndex,
    bullCompleted: completed,
    bullFailed: failed,
  };
  for (const [app, pid] of Object.entries(targets.pids())) {
    values[`${app}Rss`] = rssOf(pid);
    values[`${app}Fds`] = fdsOf(pid);
  }
  for (const [app, url] of Object.entries(targets.metrics())) {
    const heap = await heapUsed(url);
    if (heap !== null) values[`${app}Heap`] = heap;
  }
  const chromiums = chromiumsUnder(targets.launcherDir);
  values.chromiums = chromiums.length;
  values.chromiumRss = chromiums.reduce((sum, pid) => sum + rssOf(pid), 0);
  values.artifactsBytes = bytesUnder(targets.artifactsDir);
  const top = [...(await keyFamilies(redis)).entries()].sort((a, b) => b[1] - a[1]).slice(0, 10);
  return { values, families: Object.fromEntries(top) };
}
