import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The executable named `name` on PATH (or the absolute path itself), or null. */
export function which(name: string): string | null {
  const candidates = name.startsWith('/')
    ? [name]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, name));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * What `fleet up` needs from the system; a list of what is missing, empty when all is there.
 * (redis-server is needed only when REDIS_URL does not answer.)
 */
export function missingPrerequisites(options: {
  needRedisServer: boolean;
  chromiumPath: string;
  chromedriverPath: string;
}): string[] {
  const missing: string[] = [];
  if (!which(options.chromiumPath)) missing.push('chromium');
  if (!which(options.chromedriverPath)) missing.push('chromium-driver');
  if (options.needRedisServer && !which('redis-server')) missing.push('redis-server');
  return missing;
}

export function installHint(missing: string[]): string {
  return (
    `Fleet needs ${missing.join(', ')} on this machine. Run ./scripts/setup.sh (it installs them with ` +
    `apt-get when it can), or: sudo apt-get install -y ${missing.join(' ')}`
  );
}

/**
 * A command prefix that makes a child get SIGTERM when `fleet up` dies, even by SIGKILL (Linux
 * `setpriv --pdeathsig`, util-linux). The apps watch FLEET_PARENT_PID themselves; a redis-server
 * cannot, and was left running. Empty where setpriv is missing (the child then outlives a killed
 * `fleet up`, as before).
 */
export function dieWithParent(): string[] {
  const setpriv = which('setpriv');
  return setpriv ? [setpriv, '--pdeathsig', 'TERM'] : [];
}
