import type { ChildProcess } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { exitOf, killGroup, OutputTail, sleep, spawnDetached, within } from './child-process.js';
import type { SpawnTracking } from './process-records.js';
import { liveInGroup } from './process-table.js';

export interface BrowserLaunchOptions {
  chromiumPath: string;
  userDataDir: string;
  headless: boolean;
  /** Chromium's `--proxy-server` value, e.g. `http://127.0.0.1:41234` or `socks5://host:1080`. */
  proxyServer?: string | undefined;
  /** Requests go through the guarding relay: keep WebRTC from sending UDP around it. */
  guarded?: boolean;
  startTimeoutMs: number;
  /** The launcher's records of what it spawned (see process-records.ts). */
  tracking?: SpawnTracking;
}

/** Flags every launch gets: root needs --no-sandbox; the rest keep Chromium off the network. */
const BASE_FLAGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--disable-gpu',
  '--no-default-browser-check',
  '--disable-breakpad',
  // No keyring on a server: without this Chromium may wait on one before it can store cookies.
  '--password-store=basic',
  '--use-mock-keychain',
  '--window-size=1280,800',
];

export function chromiumArgs(options: BrowserLaunchOptions): string[] {
  const args = [...BASE_FLAGS, `--user-data-dir=${options.userDataDir}`, '--remote-debugging-port=0'];
  if (options.headless) args.push('--headless');
  if (options.proxyServer) {
    // Chromium sends nothing for 127.0.0.1/localhost through a proxy unless told so; Fleet's
    // fixture sites live on loopback and must go through the profile's proxy like any site.
    args.push(`--proxy-server=${options.proxyServer}`, '--proxy-bypass-list=<-loopback>');
  }
  if (options.guarded) args.push('--force-webrtc-ip-handling-policy=disable_non_proxied_udp');
  args.push('about:blank');
  return args;
}

/**
 * One Chromium browser on one profile directory, with its DevTools endpoint on loopback.
 * `--remote-debugging-port=0` lets Chromium pick the port and write it to `DevToolsActivePort`
 * in the profile directory: no race with another process grabbing a port we chose.
 */
export class BrowserProcess {
  readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    readonly debugPort: number,
    readonly webSocketDebuggerUrl: string,
    /** The Chromium version, e.g. "156.0.8078.108". */
    readonly version: string,
  ) {
    this.exited = exitOf(child);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  static async launch(options: BrowserLaunchOptions): Promise<BrowserProcess> {
    const portFile = join(options.userDataDir, 'DevToolsActivePort');
    await rm(portFile, { force: true });
    // A browser killed hard leaves its singleton lock; ours are all stopped by now (see leftovers).
    await Promise.all(
      ['SingletonLock', 'SingletonSocket', 'SingletonCookie'].map((name) =>
        rm(join(options.userDataDir, name), { force: true }),
      ),
    );
    // Chromium leads a process group of its own, which its helpers stay in (they do not setsid;
    // its crashpad handlers do, and leave once the browser is gone).
    const child = spawnDetached(
      options.chromiumPath,
      chromiumArgs(options),
      ['ignore', 'ignore', 'pipe'],
      options.tracking,
    );
    const tail = new OutputTail();
    child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
    const spawned = await new Promise<Error | null>((resolve) => {
      child.once('spawn', () => resolve(null));
      child.once('error', (error) => resolve(error));
    });
    if (spawned || child.pid === undefined) {
      throw new Error(`cannot run ${options.chromiumPath}: ${spawned?.message ?? 'no pid'}`);
    }
    const pid = child.pid;
    const exited = exitOf(child);
    try {
      const starting = { exited, deadline: Date.now() + options.startTimeoutMs, tail };
      const port = await waitForPortFile(portFile, starting);
      const info = await waitForDevTools(port, starting);
      const version = /\/([\d.]+)/.exec(info.Browser)?.[1] ?? 'unknown';
      return new BrowserProcess(child, pid, port, info.webSocketDebuggerUrl, version);
    } catch (error) {
      killGroup(pid);
      await within(exited, 2000);
      throw error;
    }
  }

  /**
   * Graceful first: CDP `Browser.close` makes Chromium shut down as a user closing it would,
   * flushing cookies and storage to the profile. What is still alive after `timeoutMs` is killed.
   */
  async close(timeoutMs: number): Promise<'graceful' | 'killed'> {
    let outcome: 'graceful' | 'killed' = 'graceful';
    if (this.running) {
      const asked = await sendBrowserClose(this.webSocketDebuggerUrl, Math.min(timeoutMs, 2000));
      if (!asked) this.child.kill('SIGTERM');
      if (!(await within(this.exited, timeoutMs))) {
        outcome = 'killed';
        killGroup(this.pid);
        await within(this.exited, 2000);
      }
    }
    // Helpers (zygote, renderers) normally leave with the browser; make sure none stays behind,
    // and wait (briefly) until they have: a SIGKILLed renderer takes a moment to go, and a stop
    // that answered before it had could meet it holding the profile (seen in CI). The kill is
    // repeated: a zygote may have forked a helper into the group just after the first one.
    killGroup(this.pid);
    const deadline = Date.now() + 2000;
    while (liveInGroup(this.pid).length > 0 && Date.now() < deadline) {
      killGroup(this.pid); // (only while the group has a live member: its id is not reused then)
      await sleep(20);
    }
    return outcome;
  }

  /** Immediate SIGKILL of the browser and its helpers. */
  kill(): void {
    killGroup(this.pid);
  }
}

/** A starting Chromium: when it must be up by, and how to tell it died meanwhile. */
interface Starting {
  exited: Promise<void>;
  deadline: number;
  tail: OutputTail;
}

/**
 * Asks `probe` every 25 ms until it answers; fails with Chromium's last output if it exits first,
 * or with `late()` at the deadline.
 */
async function untilStarted<T>(
  starting: Starting,
  probe: () => Promise<T | undefined>,
  late: () => string,
): Promise<T> {
  let gone = false;
  void starting.exited.then(() => {
    gone = true;
  });
  while (Date.now() < starting.deadline) {
    if (gone) throw new Error(`chromium exited during start: ${starting.tail.toString().slice(-1500)}`);
    const answer = await probe();
    if (answer !== undefined) return answer;
    await sleep(25);
  }
  throw new Error(late());
}

/** The DevTools port Chromium wrote to `DevToolsActivePort`. */
function waitForPortFile(file: string, starting: Starting): Promise<number> {
  return untilStarted(
    starting,
    async () => {
      const text = await readFile(file, 'utf8').catch(() => '');
      const port = Number(text.split('\n')[0]);
      return Number.isInteger(port) && port > 0 ? port : undefined;
    },
    () => `chromium did not open its DevTools port in time: ${starting.tail.toString().slice(-1500)}`,
  );
}

interface DevToolsVersion {
  Browser: string;
  webSocketDebuggerUrl: string;
}

function waitForDevTools(port: number, starting: Starting): Promise<DevToolsVersion> {
  return untilStarted(
    starting,
    async () => {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/json/version`, {
          signal: AbortSignal.timeout(1000),
        });
        if (response.ok) return (await response.json()) as DevToolsVersion;
      } catch {
        // not listening yet
      }
      return undefined;
    },
    () => 'chromium DevTools endpoint did not answer /json/version in time',
  );
}

/** Sends CDP `Browser.close`; true once Chromium acknowledged it or dropped the socket doing so. */
function sendBrowserClose(url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { handshakeTimeout: timeoutMs });
    let sent = false;
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.terminate();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(sent), timeoutMs);
    socket.on('open', () => {
      socket.send(JSON.stringify({ id: 1, method: 'Browser.close' }));
      sent = true;
    });
    socket.on('message', () => finish(true));
    socket.on('close', () => finish(sent));
    socket.on('error', () => finish(sent));
  });
}
