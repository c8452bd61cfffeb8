// Prints the fault table once every test file has run: each file adds its rows to a
// JSON-lines file (src/support/table.ts) whose path this reporter puts in the environment before
// any test starts (workers inherit it; with --runInBand the tests share this process).
// The run fails (getLastError) when any loss column, 5xx or crash count is not 0, even if the
// test that recorded it did not assert it.
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const LOSSES = ['lost', 'duplicated', 'doubleHeld', 'leakedLeases', 'leftoverBrowsers'];
const HEADER = [
  'scenario',
  'repetitions',
  'items',
  'lost',
  'duplicated',
  'double-held',
  'leaked leases',
  'leftover browsers',
  '5xx',
  'crashes',
];

function cells(row) {
  const losses = LOSSES.map((k) => (row.losses ? String(row.losses[k]) : '-'));
  return [
    row.scenario,
    String(row.repetitions),
    String(row.items),
    ...losses,
    String(row.fiveXx),
    String(row.crashes),
  ];
}

class FaultTableReporter {
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'fleet-faults-table-'));
    this.file = join(this.dir, 'rows.jsonl');
    this.bad = [];
    process.env.FLEET_FAULTS_TABLE = this.file;
  }

  onRunComplete(_contexts, results) {
    let rows = [];
    try {
      rows = readFileSync(this.file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line));
    } catch {
      // no test recorded a row
    }
    rmSync(this.dir, { recursive: true, force: true });
    if (rows.length === 0) return;
    const body = rows.map(cells);
    const total = ['total'];
    for (let i = 1; i < HEADER.length; i++) {
      const numbers = body.map((row) => row[i]).filter((c) => c !== '-');
      total.push(numbers.length ? String(numbers.reduce((sum, c) => sum + Number(c), 0)) : '-');
    }
    const all = [HEADER, ...body, total];
    const widths = HEADER.map((_, i) => Math.max(...all.map((row) => row[i].length)));
    const line = (row) =>
      `| ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' | ')} |`;
    const rule = `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
    const notes = rows.filter((r) => r.note).map((r) => `  ${r.scenario}: ${r.note}`);
    for (const row of rows) {
      const nonZero = [
        ...LOSSES.filter((k) => row.losses && row.losses[k] !== 0),
        ...(row.fiveXx !== 0 ? ['5xx'] : []),
        ...(row.crashes !== 0 ? ['crashes'] : []),
      ];
      if (nonZero.length) this.bad.push(`${row.scenario}: ${nonZero.join(', ')}`);
    }
    const failed =
      results.numFailedTests > 0 || this.bad.length ? ' (FAILED: see above and the rows below)' : '';
    const verdict = this.bad.length ? `\nNot zero:\n  ${this.bad.join('\n  ')}\n` : '';
    process.stdout.write(
      `\nFault table${failed}\n${[line(HEADER), rule, ...body.map(line), line(total)].join('\n')}\n${notes.join('\n')}\n${verdict}\n`,
    );
  }

  getLastError() {
    if (this.bad.length) return new Error(`fault table: non-zero ${this.bad.join('; ')}`);
    return undefined;
  }
}

module.exports = FaultTableReporter;
