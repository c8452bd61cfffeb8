import { readdirSync, readFileSync } from 'node:fs';

// What Linux's /proc says about a process: enough to tell whether a pid still names the process
// the launcher started, and whether a process was started for a given profile.

export interface ProcessInfo {
  pid: number;
  /** Its process group; a process spawned `detached` leads its own (pgid === pid). */
  pgid: number;
  /** Clock ticks after boot. A pid is reused; a pid with its start time names one process. */
  startTime: number;
  /** Exited, not yet reaped (PID 1 of a container may never reap): it runs nothing any more. */
  zombie: boolean;
}

export function processInfo(pid: number): ProcessInfo | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2 is the command name in parentheses, which may hold spaces and ')': the fields that
  // follow its last ')' are state (3), ppid (4), pgrp (5), ... starttime (22).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Z: exited, not reaped; X: dead, being removed.
  const gone = fields[0] === 'Z' || fields[0] === 'X';
  return { pid, pgid: Number(fields[2]), startTime: Number(fields[19]), zombie: gone };
}

export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

function readNulSeparated(pid: number, file: 'cmdline' | 'environ'): string[] {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return []; // gone, or not ours to read
  }
}

/**
 * The command line as one space-separated string. Chromium's helpers (zygote, renderers, GPU and
 * utility processes) rewrite their /proc cmdline into exactly that form (one string, spaces
 * between the arguments), so comparing whole NUL-separated arguments would never find them.
 */
export function commandLine(pid: number): string {
  return readNulSeparated(pid, 'cmdline').join(' ');
}

/** The environment it was started with (`NAME=value` each); empty when it is not readable. */
export function environment(pid: number): string[] {
  return readNulSeparated(pid, 'environ');
}

/** Live (not zombie) members of a process group; none when /proc cannot be read. */
export function liveInGroup(pgid: number): number[] {
  let pids: number[];
  try {
    pids = allPids();
  } catch {
    return [];
  }
  return pids.filter((pid) => {
    const info = processInfo(pid);
    return info !== undefined && info.pgid === pgid && !info.zombie;
  });
}
