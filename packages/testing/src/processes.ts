import { readdirSync, readFileSync } from 'node:fs';

/**
 * Pids of the processes whose command line matches (Linux `/proc`): what tests and benches use to
 * prove no browser was left behind.
 */
export function processesMatching(match: (args: string[]) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (match(readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0'))) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

/** Chromium processes started with exactly this `--user-data-dir`. */
export function chromiumsUsing(userDataDir: string): number[] {
  const flag = `--user-data-dir=${userDataDir}`;
  return processesMatching((args) => args.includes(flag));
}

/** Chromium processes whose command line names a path under `dir` (any profile in it). */
export function chromiumsUnder(dir: string): number[] {
  return processesMatching(
    (args) => args.some((a) => a.includes('chromium')) && args.some((a) => a.includes(dir)),
  );
}
