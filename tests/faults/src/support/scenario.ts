import { type AppProcess, sleep } from '@fleet/testing';
import type { Audit } from './audit.js';
import type { FaultFleet } from './fault-fleet.js';
import { recordRow } from './table.js';

/**
 * FAULTS_PROFILE=long runs each process scenario at its full size (e.g. 30 kills during a
 * 300-item batch); the default `short` profile keeps the same faults at a size CI can afford.
 */
export const LONG = process.env.FAULTS_PROFILE === 'long';

/** The short or the long figure. */
export function size(short: number, long: number): number {
  return LONG ? long : short;
}

/** A random whole number in [min, max]. */
export function between(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

/**
 * Hits busy workers during a batch: every `everyMs` (a random pause in that range) picks a worker
 * holding a lease (in the middle of an item, or between two on a warm profile) and hands it to
 * `fault`, until `times` faults are done, the batch is over, or `withinMs` (4 or 15 minutes) has passed. Returns
 * how many faults it made.
 */
export async function faultBusyWorkers(
  fleet: FaultFleet,
  plan: { batchId: string; times: number; everyMs: [number, number]; withinMs?: number },
  fault: (victim: AppProcess) => Promise<void>,
): Promise<number> {
  let done = 0;
  const deadline = Date.now() + (plan.withinMs ?? size(240_000, 900_000));
  while (done < plan.times && Date.now() < deadline) {
    await sleep(between(...plan.everyMs));
    if ((await fleet.progress(plan.batchId))?.done) break;
    const holders = await fleet.holders();
    const busy = fleet.live().filter((w) => holders.has(w.name));
    const victim = busy[between(0, busy.length - 1)];
    if (!victim) continue;
    await fault(victim);
    done++;
  }
  return done;
}

/** Records the scenario's row and fails with every non-zero figure explained. */
export function report(
  fleet: FaultFleet,
  scenario: string,
  repetitions: number,
  audit: Audit,
  extra: { fiveXx?: number; note?: string } = {},
): void {
  const crashes = fleet.crashes();
  recordRow({
    scenario,
    repetitions,
    items: audit.total,
    losses: audit.losses,
    fiveXx: extra.fiveXx ?? 0,
    crashes: crashes.length,
    note: [
      `${audit.completed} completed, ${audit.failed} failed${audit.failed ? ` ${JSON.stringify(audit.failures)}` : ''}`,
      extra.note,
    ]
      .filter(Boolean)
      .join('; '),
  });
  const problems = [
    ...audit.details,
    ...(audit.crossed ? [`${audit.crossed} items read another item's page`] : []),
    ...crashes.map((p) => `${p.name} died unasked (${p.ended}):\n${p.log(15)}`),
  ];
  const figures = {
    ...audit.losses,
    crossed: audit.crossed,
    crashes: crashes.length,
    visitLogIncomplete: audit.visitLogComplete ? 0 : 1,
  };
  const nonZero = Object.entries(figures).filter(([, n]) => n !== 0);
  if (nonZero.length > 0) {
    throw new Error(
      `${scenario}: ${nonZero.map(([k, n]) => `${k}=${n}`).join(', ')}\n${problems.join('\n')}\nlogs: ${fleet.logDir}`,
    );
  }
}

/**
 * The audits of several repetitions summed into one (for `report`): double-held counted by the
 * caller (the hold site's count since the repetition began), the visit log's notes left out.
 */
export class AuditTally {
  private readonly sum: Audit = {
    losses: { lost: 0, duplicated: 0, doubleHeld: 0, leakedLeases: 0, leftoverBrowsers: 0 },
    total: 0,
    completed: 0,
    failed: 0,
    failures: {},
    crossed: 0,
    details: [],
    visitLogComplete: true,
  };

  add(audit: Audit, doubleHeld: number): void {
    const s = this.sum;
    for (const key of ['lost', 'duplicated', 'leakedLeases', 'leftoverBrowsers'] as const)
      s.losses[key] += audit.losses[key];
    s.losses.doubleHeld += doubleHeld;
    s.total += audit.total;
    s.completed += audit.completed;
    s.failed += audit.failed;
    s.crossed += audit.crossed;
    for (const [code, n] of Object.entries(audit.failures)) s.failures[code] = (s.failures[code] ?? 0) + n;
    s.details.push(...audit.details.filter((d) => !d.startsWith('visit log')));
  }

  get audit(): Audit {
    return this.sum;
  }
}
