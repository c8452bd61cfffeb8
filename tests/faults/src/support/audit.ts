import { readFileSync } from 'node:fs';
import type { FleetEvent } from '@fleet/contracts';
import type { ItemsQueue } from '@fleet/queue';
import { type FleetRedis, Keys, type RedisEventStream, type RedisResultStore } from '@fleet/redis';
import { browsersLeft, chromiumsUnder, sleep } from '@fleet/testing';
import type { HoldSite } from './hold-site.js';
import type { Losses } from './table.js';

/** What a batch left behind, measured once it is over. */
export interface Audit {
  losses: Losses;
  total: number;
  completed: number;
  failed: number;
  /** Failed items by error code (a failure is a result, not a loss; the note shows them). */
  failures: Record<string, number>;
  /** Items whose extracted data is not their own (a page of another item). */
  crossed: number;
  /** Explanations of every non-zero figure (for the assertion message). */
  details: string[];
  /** Whether the visit log saw at least the page loads of every completed item, all through proxies. */
  visitLogComplete: boolean;
}

/**
 * Where an audit looks: the fleet's Redis (results, events, jobs), the hold site's visit log, its
 * leases and the launchers' data dirs (Chromium processes under them are leftovers).
 */
export interface AuditSource {
  redis: FleetRedis;
  prefix: string;
  queue: ItemsQueue;
  results: RedisResultStore;
  events: RedisEventStream;
  site: HoldSite;
  /** Profiles leased right now, over every pool of the fleet. */
  leased(): Promise<number>;
  /** Data dirs of the launchers the batch's browsers ran under. */
  launcherDirs: string[];
}

/** Every event of one batch on the fleet's stream, oldest first. */
export async function eventsOf(events: RedisEventStream, batchId: string): Promise<FleetEvent[]> {
  const all: FleetEvent[] = [];
  let after = '-';
  for (;;) {
    const page = await events.readAfter(after, 5000);
    all.push(...page);
    if (page.length < 5000) return all.filter((e) => e.batchId === batchId);
    after = page[page.length - 1]?.id ?? after;
  }
}

/** Leased profiles, after waiting up to `ms` for the live workers to give them back. */
export async function leasedAfter(source: AuditSource, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const leased = await source.leased();
    if (leased === 0 || Date.now() > deadline) return leased;
    await sleep(250);
  }
}

/**
 * The loss columns for a batch: results and events against the items, the hold site's visit
 * log, then (live workers still running) leases and browsers once they should all be back.
 */
export async function auditBatch(source: AuditSource, batchId: string, total: number): Promise<Audit> {
  const details: string[] = [];
  let lost = 0;
  let crossed = 0;
  let completed = 0;
  let failed = 0;
  const failures: Record<string, number> = {};
  for (let index = 0; index < total; index++) {
    const result = await source.results.get({ batchId, index });
    if (!result) {
      lost++;
      const job = await source.queue.getJob(`${batchId}.${index}`);
      if (details.length < 20)
        details.push(
          `lost item ${index}: job ${job ? `${await job.getState()} attempts=${job.attemptsMade} ${job.failedReason ?? ''}` : 'gone'}`,
        );
    } else if (result.state === 'completed') {
      completed++;
      if (result.data.item !== String(index)) {
        crossed++;
        const visits = source.site.visits
          .filter((v) => v.item === index)
          .map((v) => `step ${v.step} via profile ${v.profile} ${v.start}-${v.end}`);
        details.push(
          `item ${index} read ${JSON.stringify(result.data.item)} (data ${JSON.stringify(result.data)}, profile ${result.profileId}, attempt ${result.attempts}, ${result.durationMs} ms, finished ${result.finishedAt}; the site saw ${visits.join(', ') || 'no visit'})`,
        );
      }
    } else {
      failed++;
      const code = result.error?.code ?? 'UNKNOWN';
      failures[code] = (failures[code] ?? 0) + 1;
      if (details.length < 20)
        details.push(`failed item ${index}: ${result.error?.code} ${result.error?.message}`);
    }
  }
  const finishes = new Map<string, number>();
  for (const e of await eventsOf(source.events, batchId)) {
    if (e.type === 'item.completed' || e.type === 'item.failed')
      finishes.set(e.itemId ?? '?', (finishes.get(e.itemId ?? '?') ?? 0) + 1);
  }
  let duplicated = [...finishes.values()].filter((n) => n > 1).length;
  const progress = await source.results.progress(batchId);
  const counted = (progress?.completed ?? 0) + (progress?.failed ?? 0);
  const recorded = await source.redis.hlen(new Keys(source.prefix).batch(batchId).results);
  if (recorded > 0 && counted > recorded) {
    duplicated += counted - recorded;
    details.push(`progress counts ${counted} finished items but ${recorded} results exist`);
  }
  if (duplicated) details.push(`${duplicated} items announced or counted more than once`);
  const held = source.site.doubleHeld();
  details.push(...held.examples);
  // The visit log must have seen the work, through the profiles' proxies, or it proves nothing.
  const seen = source.site.visits.filter((v) => v.step === 1 || v.step === 2);
  const unproxied = seen.filter((v) => v.profile === null).length;
  if (seen.length < 2 * completed || unproxied > 0)
    details.push(
      `visit log: ${seen.length} page loads (${unproxied} without a proxy) for ${completed} completed items`,
    );
  const leakedLeases = await leasedAfter(source, 15_000);
  if (leakedLeases) details.push(`${leakedLeases} profiles still leased 15 s after the batch`);
  let leftoverBrowsers = 0;
  for (const dir of source.launcherDirs) {
    const left = await browsersLeft(dir, 15_000);
    if (left)
      details.push(
        `${left} Chromium processes still running under ${dir} 15 s after the batch: ${describeChromiums(dir)}`,
      );
    leftoverBrowsers += left;
  }
  if (lost) details.push(`${lost} items without a result`);
  return {
    losses: { lost, duplicated, doubleHeld: held.count, leakedLeases, leftoverBrowsers },
    total,
    completed,
    failed,
    failures,
    crossed,
    details,
    visitLogComplete: seen.length >= 2 * completed && unproxied === 0,
  };
}

/** Leftover Chromium processes under `dir`, by user-data dir and parent pid (what left them). */
function describeChromiums(dir: string): string {
  const groups = new Map<string, number>();
  for (const pid of chromiumsUnder(dir)) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      const profile = /--user-data-dir=(\S+)/.exec(args)?.[1] ?? '?';
      const parent = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1];
      let comm = 'gone';
      try {
        comm = readFileSync(`/proc/${parent}/comm`, 'utf8').trim();
      } catch {
        // the parent is gone: an orphan
      }
      const key = `${profile} (parent ${parent} ${comm})`;
      groups.set(key, (groups.get(key) ?? 0) + 1);
    } catch {
      // ended meanwhile
    }
  }
  return [...groups].map(([k, n]) => `${n} × ${k}`).join('; ');
}
