import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portOpen } from '@fleet/testing';
import { type LauncherOptions, type RunningLauncher, startLauncher } from './launcher.js';

// Helpers shared by this app's tests (no test runs from this file).

export const EMAIL = 'tests@fleet.local';
export const PASSWORD = 'correct horse battery staple';

export const md5 = (text: string) => createHash('md5').update(text).digest('hex');

export interface Answer<T = Record<string, unknown>> {
  http: number;
  headers: Headers;
  body: {
    status: { error_code: string; http_code: number; message: string };
    data: T;
  };
}

/** A throwaway data directory; `cleanup()` removes it. */
export function tempDataDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-launcher-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function launch(dataDir: string, extra: Partial<LauncherOptions> = {}): Promise<RunningLauncher> {
  return startLauncher({ dataDir, email: EMAIL, password: PASSWORD, stopTimeoutMs: 5000, ...extra });
}

/** A tiny client over real HTTP: what a Multilogin client would send. */
export class TestClient {
  token: string | undefined;

  constructor(readonly baseUrl: string) {}

  async call<T = Record<string, unknown>>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    options: { token?: string | null; raw?: string } = {},
  ): Promise<Answer<T>> {
    const token = options.token === undefined ? this.token : options.token;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (options.raw !== undefined || body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = options.raw ?? JSON.stringify(body);
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body: payload });
    return {
      http: response.status,
      headers: response.headers,
      body: (await response.json()) as Answer<T>['body'],
    };
  }

  async signIn(): Promise<string> {
    const answer = await this.call<{ token: string }>('POST', '/user/signin', {
      email: EMAIL,
      password: md5(PASSWORD),
    });
    if (answer.http !== 200) throw new Error(`sign-in failed: ${JSON.stringify(answer.body)}`);
    this.token = answer.body.data.token;
    return this.token;
  }

  async createProfile(fields: Record<string, unknown> = {}): Promise<string> {
    const answer = await this.call<{ ids: string[] }>('POST', '/profile/create', {
      name: 'test profile',
      browser_type: 'mimic',
      os_type: 'linux',
      parameters: { flags: {} },
      ...fields,
    });
    if (answer.http !== 200) throw new Error(`create failed: ${JSON.stringify(answer.body)}`);
    return answer.body.data.ids[0] as string;
  }

  start(profileId: string, query = 'automation_type=selenium&headless_mode=true') {
    return this.call<{
      port: string;
      id: string;
      core_version: number;
      browser_type: string;
      is_quick: boolean;
    }>('GET', `/api/v2/profile/f/any-folder/p/${profileId}/start?${query}`);
  }

  stop(profileId: string) {
    return this.call<null>('GET', `/api/v1/profile/stop/p/${profileId}`);
  }

  async status(profileId: string): Promise<string> {
    const answer = await this.call<{ status: string }>('GET', `/api/v1/profile/status/p/${profileId}`);
    return answer.body.data.status;
  }
}

/** True when nothing accepts connections on the loopback port. */
export async function portClosed(port: number): Promise<boolean> {
  return !(await portOpen(port));
}

// Live processes whose /proc cmdline carries a user-data-dir (checked independently of the app).
// chromiumsUnder also sees Chromium's helpers, which rewrite their cmdline into one string.
export { chromiumsUnder, chromiumsUsing } from '@fleet/testing';

interface PsRow {
  pid: number;
  ppid: number;
  pgid: number;
  zombie: boolean;
}

/** The process table as `ps` prints it (independently of the launcher's own /proc reading). */
function ps(): PsRow[] {
  return execFileSync('ps', ['-e', '-o', 'pid=,ppid=,pgid=,stat='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => {
      const [pid, ppid, pgid, stat] = line.trim().split(/\s+/);
      return {
        pid: Number(pid),
        ppid: Number(ppid),
        pgid: Number(pgid),
        zombie: stat?.startsWith('Z') ?? false,
      };
    });
}

/** The process groups led by live children of `pid` (a launcher's Chromiums and chromedrivers). */
export function groupsLedByChildrenOf(pid: number): number[] {
  return ps()
    .filter((row) => row.ppid === pid && row.pgid === row.pid && !row.zombie)
    .map((row) => row.pid);
}

/** Live (not zombie) processes in any of these process groups. */
export function liveInGroups(groups: number[]): number[] {
  return ps()
    .filter((row) => groups.includes(row.pgid) && !row.zombie)
    .map((row) => row.pid);
}
