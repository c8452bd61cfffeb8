import { appendFileSync } from 'node:fs';

/** The loss columns: each must be 0, or the run fails (the reporter checks them too). */
export interface Losses {
  /** Items without a result once the batch is over. */
  lost: number;
  /** Items recorded (or announced as finished) more than once. */
  duplicated: number;
  /** Times two holders drove one profile at once (overlapping visits of one profile). */
  doubleHeld: number;
  /** Leases still held once the batch is over and the workers are gone. */
  leakedLeases: number;
  /** Chromium processes left running once the scenario is torn down. */
  leftoverBrowsers: number;
}

/** One row of the fault table (tests/faults/fault-table-reporter.cjs prints them after the run). */
export interface FaultRow {
  scenario: string;
  /** Faults injected, or requests/interactions sent for the hostile-input rows. */
  repetitions: number;
  /** Batch items run through the scenario (0 where no batch runs). */
  items: number;
  /** Responses ≥ 500 (HTTP) or server errors (Socket.IO). */
  fiveXx: number;
  /** App processes that died without being told to. */
  crashes: number;
  /** Absent where the scenario runs no batch (shown as "-"). */
  losses?: Losses;
  note?: string;
}

export const NO_LOSSES: Losses = {
  lost: 0,
  duplicated: 0,
  doubleHeld: 0,
  leakedLeases: 0,
  leftoverBrowsers: 0,
};

/** Adds a row to the run's fault table (a JSON-lines file the reporter names in the environment). */
export function recordRow(row: FaultRow): void {
  appendRow(row);
}

/** Adds a row of any suite's columns (the reporter's options name them) to the run's table. */
export function appendRow(row: { scenario: string; note?: string }): void {
  const file = process.env.FLEET_FAULTS_TABLE;
  if (file) appendFileSync(file, `${JSON.stringify(row)}\n`);
}
