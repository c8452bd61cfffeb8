import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Simulated hosts on one machine: a Linux bridge and one network namespace per host, joined by
 * veth pairs, all in 10.231.<n>.0/24 (the bridge is .1, the hosts .11 and up). A process runs on
 * a host under `prefix` (`ip netns exec <ns>`); `partition` takes the host's link down, `heal`
 * brings it back. Needs root and iproute2: `HostBed.unavailable()` says why not, in one line.
 *
 * Names carry the owner's pid and a letter per bed (`fleet-t<pid>a-h1` namespaces, `ft<pid>a-…`
 * links; a link name has at most 15 characters), and
 * /run/fleet-hosts/<pid> holds the owner's start time: `destroy()` removes what this run made (also
 * on SIGINT/SIGTERM and at exit), and `create()` first removes what an earlier run left behind when
 * its owner is gone (killed before it could clean up), leaving live runs' beds alone.
 */
export interface BedHost {
  /** The short name given at create (`redis`, `h1`). */
  name: string;
  /** The network namespace (`fleet-t<pid>-<name>`). */
  ns: string;
  /** Its address on the bridge; every process on it binds and is reached there. */
  address: string;
  /** `ip netns exec <ns>`: the command prefix of a process on this host. */
  prefix: string[];
}

const NS_PATTERN = /^fleet-t(\d+)[a-z]-/;
const LINK_PATTERN = /^ft(\d+)[a-z]-/;
const OWNERS_DIR = '/run/fleet-hosts';
const RANGE = '10.231';

function ip(args: string[], options: { quiet?: boolean } = {}): string {
  const run = spawnSync('ip', args, { encoding: 'utf8' });
  if (run.error) throw new Error(`ip ${args.join(' ')}: ${run.error.message}`);
  if (run.status !== 0 && !options.quiet)
    throw new Error(`ip ${args.join(' ')} failed (${run.status}): ${run.stderr.trim()}`);
  return run.stdout;
}

/** A process's start time (jiffies since boot, /proc/<pid>/stat field 22), or undefined if gone. */
function startTime(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the run that made a bed still lives: its pid runs, and is the process that recorded it. */
function ownerAlive(pid: number): boolean {
  const now = startTime(pid);
  if (now === undefined) return false;
  try {
    return readFileSync(join(OWNERS_DIR, String(pid)), 'utf8').trim() === now;
  } catch {
    return true; // a live pid without a record: not ours to judge, leave its bed alone
  }
}

function namespaces(): string[] {
  return ip(['netns', 'list'], { quiet: true })
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter(Boolean);
}

function links(): string[] {
  return ip(['-o', 'link', 'show'], { quiet: true })
    .split('\n')
    .map((line) => line.split(': ')[1]?.split('@')[0] ?? '')
    .filter(Boolean);
}

/** SIGKILL to every process in the namespace, then the namespace (its veth pair goes with it). */
function removeNamespace(ns: string): void {
  for (const pid of ip(['netns', 'pids', ns], { quiet: true }).split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone already
    }
  }
  ip(['netns', 'del', ns], { quiet: true });
}

/** Beds this process made so far: the letter of the next one. */
let made = 0;

export class HostBed {
  readonly hosts: BedHost[] = [];
  /** The bridge's address: the test process (root namespace) is reached there from every host. */
  readonly gateway: string;
  private readonly bridge: string;
  private readonly veths: string[] = [];
  private destroyed = false;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.destroy();
    process.kill(process.pid, signal); // the default action, now that the handler is gone
  };
  private readonly onExit = () => this.destroy();

  private constructor(
    /** `<pid><letter>`: what this bed's names carry. */
    readonly runId: string,
    /** The third octet of this bed's 10.231.<octet>.0/24. */
    readonly octet: number,
  ) {
    this.bridge = `ft${runId}-br`;
    this.gateway = `${RANGE}.${octet}.1`;
  }

  /** Why a bed cannot be made here (one line), or undefined when it can. */
  static unavailable(): string | undefined {
    if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
    if (process.getuid?.() !== 0) return 'network namespaces need root (run the suite as root)';
    const probe = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0)
      return `\`ip netns\` does not work here (${probe.error?.message ?? probe.stderr.trim()}): install iproute2`;
    return undefined;
  }

  /**
   * Removes the namespaces, links and bridges of earlier runs whose owner is gone (killed before
   * it cleaned up). Returns what it removed.
   */
  static removeStale(): string[] {
    const removed: string[] = [];
    for (const ns of namespaces()) {
      const owner = Number(NS_PATTERN.exec(ns)?.[1]);
      if (owner && !ownerAlive(owner)) {
        removeNamespace(ns);
        removed.push(ns);
      }
    }
    for (const link of links()) {
      const owner = Number(LINK_PATTERN.exec(link)?.[1]);
      if (owner && !ownerAlive(owner)) {
        ip(['link', 'del', link], { quiet: true });
        removed.push(link);
      }
    }
    try {
      for (const file of readdirSync(OWNERS_DIR))
        if (!ownerAlive(Number(file))) rmSync(join(OWNERS_DIR, file), { force: true });
    } catch {
      // no records yet
    }
    return removed;
  }

  /** A bed with one host per name (`.11`, `.12`, … in that order), after removing stale beds. */
  static create(names: string[]): HostBed {
    const why = HostBed.unavailable();
    if (why) throw new Error(why);
    HostBed.removeStale();
    mkdirSync(OWNERS_DIR, { recursive: true });
    writeFileSync(join(OWNERS_DIR, String(process.pid)), `${startTime(process.pid)}\n`);
    const letter = String.fromCharCode(97 + (made++ % 26));
    const bed = new HostBed(`${process.pid}${letter}`, HostBed.freeOctet());
    process.once('SIGINT', bed.onSignal);
    process.once('SIGTERM', bed.onSignal);
    process.once('exit', bed.onExit);
    try {
      ip(['link', 'add', bed.bridge, 'type', 'bridge']);
      ip(['addr', 'add', `${bed.gateway}/24`, 'dev', bed.bridge]);
      ip(['link', 'set', bed.bridge, 'up']);
      for (const [i, name] of names.entries()) bed.addHost(name, 11 + i);
    } catch (error) {
      bed.destroy();
      throw error;
    }
    return bed;
  }

  /** A /24 of 10.231 that no interface here uses yet (from the pid, so parallel runs differ). */
  private static freeOctet(): number {
    const used = new Set(
      [...ip(['-o', '-4', 'addr', 'show'], { quiet: true }).matchAll(/inet 10\.231\.(\d+)\./g)].map((m) =>
        Number(m[1]),
      ),
    );
    for (let i = 0; i < 254; i++) {
      const octet = 1 + ((process.pid + i) % 254);
      if (!used.has(octet)) return octet;
    }
    throw new Error('every 10.231.x.0/24 is in use on this machine');
  }

  private addHost(name: string, last: number): void {
    const ns = `fleet-t${this.runId}-${name}`;
    const veth = `ft${this.runId}-${this.hosts.length}`;
    const address = `${RANGE}.${this.octet}.${last}`;
    ip(['netns', 'add', ns]);
    this.hosts.push({ name, ns, address, prefix: ['ip', 'netns', 'exec', ns] });
    ip(['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    this.veths.push(veth);
    ip(['link', 'set', veth, 'master', this.bridge, 'up']);
    ip(['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
    ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  }

  host(name: string): BedHost {
    const host = this.hosts.find((h) => h.name === name);
    if (!host) throw new Error(`no host named ${name} in this bed`);
    return host;
  }

  /** Cuts the host off the network (its link down): its processes keep running, alone. */
  partition(name: string): void {
    ip(['-n', this.host(name).ns, 'link', 'set', 'eth0', 'down']);
  }

  heal(name: string): void {
    ip(['-n', this.host(name).ns, 'link', 'set', 'eth0', 'up']);
  }

  /** Every process on the host SIGKILLed at once, then its namespace deleted: a host lost. */
  remove(name: string): void {
    removeNamespace(this.host(name).ns);
  }

  /** Pids of the processes running on the host now. */
  pids(name: string): number[] {
    return ip(['netns', 'pids', this.host(name).ns], { quiet: true })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  }

  /**
   * Removes every namespace (and what runs in it), link and bridge this bed made. Synchronous,
   * so it also runs on a signal and at exit; a second call does nothing.
   */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    process.off('exit', this.onExit);
    for (const host of this.hosts) removeNamespace(host.ns);
    for (const veth of this.veths) ip(['link', 'del', veth], { quiet: true });
    ip(['link', 'del', this.bridge], { quiet: true });
    // The owner record stays while this process lives (it may make another bed); removeStale
    // drops it once the process is gone.
  }
}
