import { join } from 'node:path';
import { killGroup, killProcess, sleep } from './child-process.js';
import { allPids, commandLine, environment, processInfo } from './process-table.js';
import { readJsonFile, writeJsonFileSync } from './state-file.js';

/**
 * Set in the environment of the Chromium and the chromedriver started for a profile, to its
 * user-data-dir. Chromium's helpers carry `--user-data-dir=` in their command line instead (their
 * environment area is overwritten by the process title); chromedriver's arguments name nothing.
 */
export const PROFILE_MARK = 'FLEET_LAUNCHER_PROFILE';

/**
 * What a spawn owes the records: the environment that marks the process as its profile's, and a
 * report of its pid the moment spawn() returns it, before the launcher can die with the process
 * unrecorded (see spawnDetached).
 */
export interface SpawnTracking {
  env: Record<string, string>;
  onSpawn(pid: number): void;
}

/** A process spawned for a profile (`detached`: its pid is also its process group's id). */
export interface RecordedProcess {
  pid: number;
  /** From /proc/<pid>/stat: a reused pid has another, so it is never mistaken for ours. */
  startTime: number;
}

export interface ProcessRecord {
  profileId: string;
  userDataDir: string;
  startedAt: string;
  /** Chromium and chromedriver, each recorded the moment it is spawned. */
  processes: RecordedProcess[];
}

/**
 * Whether a live process was started for this profile: the user-data-dir in its command line
 * (Chromium and every helper of it) or the profile mark in its environment (also chromedriver).
 */
function startedFor(pid: number, userDataDir: string): boolean {
  if (` ${commandLine(pid)} `.includes(` --user-data-dir=${userDataDir} `)) return true;
  return environment(pid).includes(`${PROFILE_MARK}=${userDataDir}`);
}

/** Live (not zombie) processes started for this profile. */
export function processesOf(userDataDir: string): number[] {
  return allPids().filter((pid) => processInfo(pid)?.zombie === false && startedFor(pid, userDataDir));
}

/** Which of these process groups still have a live (not zombie) member: one pass over /proc. */
function groupsWithLiveMembers(groups: Set<number>): number[] {
  const live = new Set<number>();
  for (const pid of allPids()) {
    const info = processInfo(pid);
    if (info && !info.zombie && groups.has(info.pgid)) live.add(info.pgid);
  }
  return [...live];
}

/**
 * `<dataDir>/running.json` lists the browsers this launcher is starting or running. If the
 * launcher dies hard (kill -9, OOM), its detached Chromiums and chromedrivers outlive it; the next
 * launcher reads the list and kills them. A profile is recorded *before* anything is spawned for
 * it and each process the moment it exists, so a launcher killed in the middle of a start leaves
 * nothing unrecorded behind.
 */
export class ProcessRecords {
  private readonly file: string;
  private records: ProcessRecord[];

  constructor(dataDir: string) {
    this.file = join(dataDir, 'running.json');
    this.records = readJsonFile<{ running: ProcessRecord[] }>(this.file)?.running ?? [];
  }

  /**
   * Records a profile whose processes are about to be spawned; answers what each spawn must do:
   * carry the profile mark, and report its pid at once (synchronously, right after spawn()).
   */
  begin(profileId: string, userDataDir: string): SpawnTracking {
    const record: ProcessRecord = {
      profileId,
      userDataDir,
      startedAt: new Date().toISOString(),
      processes: [],
    };
    this.records = [...this.records.filter((r) => r.profileId !== profileId), record];
    this.save();
    return {
      env: { [PROFILE_MARK]: userDataDir },
      onSpawn: (pid) => {
        const info = processInfo(pid);
        if (!info) return; // gone already: nothing to clean up after
        record.processes.push({ pid, startTime: info.startTime });
        this.save();
      },
    };
  }

  remove(profileId: string): void {
    this.records = this.records.filter((r) => r.profileId !== profileId);
    this.save();
  }

  /**
   * Kills what a previous launcher left: the process group of every recorded process that is
   * still the one it started (same start time), and every live process started for a recorded
   * profile (one spawned but not recorded yet, a helper whose group leader is gone). Answers the
   * profiles concerned and how many live processes were killed.
   */
  async cleanupLeftovers(): Promise<{ profiles: string[]; killed: number }> {
    const profiles: string[] = [];
    const groups = new Set<number>();
    const marked = new Set<number>();
    for (const record of this.records) {
      // (A record written by an older launcher lists no processes: its marks still find them.)
      const recorded = (record.processes ?? []).filter((p) => processInfo(p.pid)?.startTime === p.startTime);
      const started = processesOf(record.userDataDir);
      if (recorded.length === 0 && started.length === 0) continue;
      profiles.push(record.profileId);
      for (const { pid } of recorded) groups.add(pid);
      for (const pid of started) {
        marked.add(pid);
        if (processInfo(pid)?.pgid === pid) groups.add(pid); // a leader spawned for the profile
      }
    }
    const killed = allPids().filter((pid) => {
      const info = processInfo(pid);
      return info !== undefined && !info.zombie && (groups.has(info.pgid) || marked.has(pid));
    }).length;
    for (const pgid of groups) killGroup(pgid);
    for (const pid of marked) killProcess(pid); // its group leader may be gone already
    // Wait (briefly) until they are really gone, so a start right after cannot meet their lock,
    // and no chromedriver of theirs outlives the cleanup (its group is not marked with a profile).
    const deadline = Date.now() + 5000;
    // Killed again while alive (what was forked meanwhile goes too); a group or pid is only
    // signalled while it still names one of theirs, never after its id may have been reused.
    for (;;) {
      const liveGroups = groupsWithLiveMembers(groups);
      const liveMarked = this.records.flatMap((r) => processesOf(r.userDataDir));
      if ((liveGroups.length === 0 && liveMarked.length === 0) || Date.now() >= deadline) break;
      for (const pgid of liveGroups) killGroup(pgid);
      for (const pid of liveMarked) killProcess(pid);
      await sleep(20);
    }
    this.records = [];
    this.save();
    return { profiles, killed };
  }

  private save(): void {
    writeJsonFileSync(this.file, { running: this.records });
  }
}
