import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumsUnder } from '@fleet/testing';

// What the tests that run README commands as a reader would (a shell, `pnpm start` in its own
// process group) share: the fleet up environment of a test run and the clean-up after one.

/** Sends a signal to a process group (a detached child's pid), if it is still there. */
export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Kills what a run may have left (its process group, Chromiums under its folder), removes the folder. */
export function cleanUpRun(groupPid: number | undefined, dir: string): void {
  signalGroup(groupPid, 'SIGKILL');
  for (const pid of chromiumsUnder(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

export interface UpPorts {
  api: number;
  notifier: number;
  launcher: number;
  worker: number;
  demo: number;
}

/** The environment of `fleet up` in a test: its own ports, prefix, data folder and up file. */
export function fleetUpEnv(ports: UpPorts, options: { dir: string; upFile: string; prefix: string }) {
  return {
    FLEET_PREFIX: options.prefix,
    API_PORT: String(ports.api),
    NOTIFIER_PORT: String(ports.notifier),
    LAUNCHER_PORT: String(ports.launcher),
    WORKER_PORT: String(ports.worker),
    FLEET_DEMO_PORT: String(ports.demo),
    FLEET_DATA_DIR: join(options.dir, 'data'),
    FLEET_UP_FILE: options.upFile,
    LOG_LEVEL: 'warn',
  };
}
