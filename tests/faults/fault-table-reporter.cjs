// Prints the fault table once every test file has run: each file adds its rows to a
// JSON-lines file (src/support/table.ts) whose path this reporter puts in the environment before
// any test starts (workers inherit it; with --runInBand the tests share this process).
// The run fails (getLastError) when any column marked `zero` (losses, 5xx, crashes) is not 0, even if the
// test that recorded it did not assert it.
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

// The fault suite's columns. Another suite passes its own as reporter options
// (['@fleet/faults/fault-table-reporter.cjs', { title, columns }], reusing LOSS_COLUMNS): `key` is
// a row field (dotted for nested ones), `zero` marks a column that must be 0; a row without the
// field shows "-".
const LOSS_COLUMNS = [
  { header: 'lost', key: 'losses.lost', zero: true },
  { header: 'duplicated', key: 'losses.duplicated', zero: true },
  { header: 'double-held', key: 'losses.doubleHeld', zero: true },
  { header: 'leaked leases', key: 'losses.leakedLeases', zero: true },
  { header: 'leftover browsers', key: 'losses.leftoverBrowsers', zero: true },
];
const FAULT_COLUMNS = [
  { header: 'scenario', key: 'scenario' },
  { header: 'repetitions', key: 'repetitions' },
  { header: 'items', key: 'items' },
  ...LOSS_COLUMNS,
  { header: '5xx', key: 'fiveXx', zero: true },
  { header: 'crashes', key: 'crashes', zero: true },
];

function cellValue(row, key) {
  return key.split('.').reduce((v, k) => (v === undefined || v === null ? undefined : v[k]), row);
}

function cells(row, columns) {
  return columns.map(({ key }) => {
    const v = cellValue(row, key);
    return v === undefined ? '-' : String(v);
  });
}

class FaultTableReporter {
  constructor(_globalConfig, options = {}) {
    this.title = options.title ?? 'Fault table';
    this.columns = options.columns ?? FAULT_COLUMNS;
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
    const header = this.columns.map((c) => c.header);
    const body = rows.map((row) => cells(row, this.columns));
    const total = ['total'];
    for (let i = 1; i < header.length; i++) {
      const numbers = body.map((row) => row[i]).filter((c) => c !== '-');
      total.push(numbers.length ? String(numbers.reduce((sum, c) => sum + Number(c), 0)) : '-');
    }
    const all = [header, ...body, total];
    const widths = header.map((_, i) => Math.max(...all.map((row) => row[i].length)));
    const line = (row) =>
      `| ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' | ')} |`;
    const rule = `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
    const notes = rows.filter((r) => r.note).map((r) => `  ${r.scenario}: ${r.note}`);
    for (const row of rows) {
      const nonZero = this.columns
        .filter(({ key, zero }) => zero && ![undefined, 0].includes(cellValue(row, key)))
        .map((c) => c.header);
      if (nonZero.length) this.bad.push(`${row.scenario}: ${nonZero.join(', ')}`);
    }
    const failed =
      results.numFailedTests > 0 || this.bad.length ? ' (FAILED: see above and the rows below)' : '';
    const verdict = this.bad.length ? `\nNot zero:\n  ${this.bad.join('\n  ')}\n` : '';
    process.stdout.write(
      `\n${this.title}${failed}\n${[line(header), rule, ...body.map(line), line(total)].join('\n')}\n${notes.join('\n')}\n${verdict}\n`,
    );
  }

  getLastError() {
    if (this.bad.length) return new Error(`${this.title}: non-zero ${this.bad.join('; ')}`);
    return undefined;
  }
}

module.exports = FaultTableReporter;
module.exports.LOSS_COLUMNS = LOSS_COLUMNS;
