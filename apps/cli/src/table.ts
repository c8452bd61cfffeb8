/** Plain aligned columns (two spaces apart), a header row first; no colours, so pipes stay clean. */
export function table(header: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [
    header,
    ...rows.map((row) => row.map((c) => (c === null || c === undefined ? '-' : String(c)))),
  ];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `key: value` lines, the keys aligned. */
export function fields(entries: [string, string | number | null | undefined][]): string {
  const width = Math.max(...entries.map(([k]) => k.length)) + 1;
  return entries
    .map(([k, v]) => `${`${k}:`.padEnd(width)} ${v === null || v === undefined ? '-' : v}`)
    .join('\n');
}

/** A duration for people: `850 ms`, `12.3 s`, `4 m 05 s`, `2 h 03 m`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} m`;
}

/** An ISO time as `YYYY-MM-DD HH:MM:SS` (UTC, as the API gives it). */
export function shortTime(iso: string | null | undefined): string | null {
  if (!iso) return null;
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
