import { type Audit, appendRow, type Losses } from '@fleet/faults/support';
import type { HostFleet } from './host-fleet.js';

/** One row of the hosts table (the reporter's columns are in jest.config.cjs). */
export interface HostRow {
  scenario: string;
  hosts: number;
  items: number;
  losses: Losses;
  /** Items that ended failed: the site is healthy, so every failure is a fault's doing. */
  failedByFaults: number;
  note?: string;
}

/** Records the scenario's row, then fails with every non-zero figure (and crash) explained. */
export function report(fleet: HostFleet, scenario: string, audit: Audit, note: string): void {
  const crashes = fleet.crashes();
  const row: HostRow = {
    scenario,
    hosts: fleet.hostCount,
    items: audit.total,
    losses: audit.losses,
    failedByFaults: audit.failed,
    note: [
      `${audit.completed} completed, ${audit.failed} failed${audit.failed ? ` ${JSON.stringify(audit.failures)}` : ''}`,
      note,
    ].join('; '),
  };
  appendRow(row);
  const figures = {
    ...audit.losses,
    failedByFaults: audit.failed,
    crossed: audit.crossed,
    crashes: crashes.length,
    visitLogIncomplete: audit.visitLogComplete ? 0 : 1,
  };
  const nonZero = Object.entries(figures).filter(([, n]) => n !== 0);
  if (nonZero.length > 0) {
    const problems = [
      ...audit.details,
      ...crashes.map((p) => `${p.name} died unasked (${p.ended}):\n${p.log(15)}`),
    ];
    throw new Error(
      `${scenario}: ${nonZero.map(([k, n]) => `${k}=${n}`).join(', ')}\n${problems.join('\n')}\nlogs: ${fleet.dir}`,
    );
  }
}
