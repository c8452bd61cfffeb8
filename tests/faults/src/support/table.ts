import { appendFileSync } from 'node:fs';

/** One row of the fault table (tests/faults/fault-table.reporter.cjs prints them after the run). */
export interface FaultRow {
  scenario: string;
  requests: number;
  fiveXx: number;
  crashes: number;
  note?: string;
}

/** Adds a row to the run's fault table (a JSON-lines file the reporter names in the environment). */
export function recordRow(row: FaultRow): void {
  const file = process.env.FLEET_FAULTS_TABLE;
  if (file) appendFileSync(file, `${JSON.stringify(row)}\n`);
}
