import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { killGroup, sleep } from './child-process.js';
import { readJsonFile, writeJsonFileSync } from './state-file.js';

export interface ProcessRecord {
  profileId: string;
  userDataDir: string;
  chromiumPid: number;
  chromedriverPid: number | null;
  startedAt: string;
}

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** A chromedriver as ChromedriverProcess starts it: `<path> --port=0 --log-level=WARNING`. */
function isOurChromedriver(args: string[]): boolean {
  return args[1] === '--port=0' && args[2] === '--log-level=WARNING';
}

/**
 * Live processes started with `--user-data-dir=<dir>`: a browser and its helpers all carry it.
 * Zombies have an empty cmdline, so a reaped-or-dying process never counts.
 */
export function processesUsing(userDataDir: string): number[] {
  const flag = `--user-data-dir=${userDataDir}`;
  return allPids().filter((pid) => cmdline(pid).includes(flag));
}

/**
 * `<dataDir>/running.json` lists the browsers this launcher started and has not stopped yet. If
 * the launcher dies hard (kill -9, OOM), its detached Chromiums and chromedrivers outlive it; the
 * next launcher reads the list and kills them — but only processes whose /proc cmdline proves
 * they are ours (the profile's user-data-dir, or a chromedriver), never a recycled pid.
 */
export class ProcessRecords {
  private readonly file: string;
  private records: ProcessRecord[];

  constructor(dataDir: string) {
    this.file = join(dataDir, 'running.json');
    this.records = readJsonFile<{ running: ProcessRecord[] }>(this.file)?.running ?? [];
  }

  add(record: ProcessRecord): void {
    this.records = [...this.records.filter((r) => r.profileId !== record.profileId), record];
    this.save();
  }

  remove(profileId: string): void {
    this.records = this.records.filter((r) => r.profileId !== profileId);
    this.save();
  }

  /** Kills what a previous launcher left running; answers how many processes it killed. */
  async cleanupLeftovers(): Promise<{ profiles: string[]; killed: number }> {
    const profiles: string[] = [];
    let killed = 0;
    for (const record of this.records) {
      const pids = processesUsing(record.userDataDir);
      const driver = record.chromedriverPid;
      if (driver !== null && isOurChromedriver(cmdline(driver))) pids.push(driver);
      if (pids.length === 0) continue;
      profiles.push(record.profileId);
      if (cmdline(record.chromiumPid).includes(`--user-data-dir=${record.userDataDir}`)) {
        killGroup(record.chromiumPid);
      }
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
          killed += 1;
        } catch {
          // already gone
        }
      }
    }
    // Wait (briefly) until they are really gone, so a start right after cannot meet their lock.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && this.records.some((r) => processesUsing(r.userDataDir).length > 0)) {
      await sleep(50);
    }
    this.records = [];
    this.save();
    return { profiles, killed };
  }

  private save(): void {
    writeJsonFileSync(this.file, { running: this.records });
  }
}
