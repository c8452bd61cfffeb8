import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Pids of the processes whose command line matches (Linux `/proc`): what tests and benches use to
 * prove no browser was left behind.
 */
export function processesMatching(match: (args: string[]) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      // A zombie has exited; it only waits for its parent to reap it (PID 1 here never does).
      const state = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.[0];
      if (state !== 'Z' && match(args)) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

/**
 * Chromium processes started with exactly this `--user-data-dir`: the browser and its helpers
 * (zygotes, GPU, renderers), which rewrite their command line into one space-separated string.
 */
export function chromiumsUsing(userDataDir: string): number[] {
  const flag = `--user-data-dir=${userDataDir}`;
  return processesMatching((args) => `${args.join(' ')} `.includes(`${flag} `));
}

/** Chromium processes whose command line names a path under `dir` (any profile in it). */
export function chromiumsUnder(dir: string): number[] {
  return processesMatching(
    (args) => args.some((a) => a.includes('chromium')) && args.some((a) => a.includes(dir)),
  );
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Chromium processes under `dir` (a launcher's data dir), after waiting up to `ms` for them to go. */
export async function browsersLeft(dir: string, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const n = chromiumsUnder(dir).length;
    if (n === 0 || Date.now() > deadline) return n;
    await delay(250);
  }
}
