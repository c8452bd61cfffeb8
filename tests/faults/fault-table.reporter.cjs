// Prints the fault table (issue 8) once every test file has run: each file adds its rows to a
// JSON-lines file (src/support/table.ts) whose path this reporter puts in the environment before
// any test starts (workers inherit it; with --runInBand the tests share this process).
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

class FaultTableReporter {
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'fleet-faults-table-'));
    this.file = join(this.dir, 'rows.jsonl');
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
    const header = ['scenario', 'requests', '5xx', 'crashes'];
    const body = rows.map((r) => [r.scenario, String(r.requests), String(r.fiveXx), String(r.crashes)]);
    const total = [
      'total',
      ...[1, 2, 3].map((i) => String(body.reduce((sum, row) => sum + Number(row[i]), 0))),
    ];
    const all = [header, ...body, total];
    const widths = header.map((_, i) => Math.max(...all.map((row) => row[i].length)));
    const line = (row) =>
      `| ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' | ')} |`;
    const rule = `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
    const notes = rows.filter((r) => r.note).map((r) => `  ${r.scenario}: ${r.note}`);
    const failed = results.numFailedTests > 0 ? ' (some tests FAILED: see above)' : '';
    process.stdout.write(
      `\nFault table${failed}\n${[line(header), rule, ...body.map(line), line(total)].join('\n')}\n${notes.join('\n')}\n\n`,
    );
  }
}

module.exports = FaultTableReporter;
