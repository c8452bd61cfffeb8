/**
 * The bed itself: hosts reach each other and the test process by their addresses, a partition cuts
 * a host off and a heal brings it back, and nothing it made outlives it — not after `destroy()`,
 * not after SIGTERM, and for a run killed with SIGKILL, not after the next run's start.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { waitFor } from '@fleet/testing';
import { HostBed } from './support/host-bed.js';

const why = process.env.HOSTS_UNAVAILABLE ?? HostBed.unavailable();
const maybe = why ? describe.skip : describe;

const BED_MODULE = join(__dirname, 'support', 'host-bed.ts');

function namespaces(): string[] {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
}

function links(): string[] {
  return spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0] ?? '')
    .filter(Boolean);
}

/** What a bed of the given run left: its namespaces and links. */
function leftBy(runPid: number): string[] {
  return [...namespaces(), ...links()].filter(
    (n) => n.startsWith(`fleet-t${runPid}`) || new RegExp(`^ft${runPid}[a-z]-`).test(n),
  );
}

/** `node -e` on a host: an HTTP server on its address, or a request from it. */
function nodeOn(prefix: string[], script: string): ChildProcess {
  return spawn(prefix[0]!, [...prefix.slice(1), process.execPath, '-e', script], { stdio: 'pipe' });
}

async function get(prefix: string[], url: string): Promise<string> {
  const child = nodeOn(
    prefix,
    `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(1500) }).then(r => r.text()).then(t => console.log(t), e => console.log('error ' + e.name))`,
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await once(child, 'exit');
  return out.trim();
}

/** A process that makes a bed of one host, says so, and waits (to be signalled). */
async function bedInChild(): Promise<{ child: ChildProcess; ns: string }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `import(${JSON.stringify(BED_MODULE)}).then(({ HostBed }) => { const bed = HostBed.create(['x']); console.log(bed.hosts[0].ns); setInterval(() => {}, 1000); })`,
    ],
    { stdio: 'pipe', cwd: __dirname },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const ns = await waitFor('the child made its bed', () => out.trim() || undefined, {
    timeoutMs: 30_000,
  });
  return { child, ns };
}

maybe('HostBed', () => {
  it('hosts reach each other and the test process by address; a partition cuts one off until healed', async () => {
    const bed = HostBed.create(['a', 'b']);
    const server = nodeOn(
      bed.host('a').prefix,
      `require('http').createServer((q, r) => r.end('on a')).listen(18080, '${bed.host('a').address}', () => console.log('up'))`,
    );
    try {
      await once(server.stdout!, 'data');
      const url = `http://${bed.host('a').address}:18080/`;
      expect(await (await fetch(url)).text()).toBe('on a'); // from the test process, over the bridge
      expect(await get(bed.host('b').prefix, url)).toBe('on a'); // host to host
      expect(bed.pids('a')).toContain(server.pid);
      bed.partition('a');
      expect(await get(bed.host('b').prefix, url)).toMatch(/^error/);
      bed.heal('a');
      await waitFor('a answers again', async () => (await get(bed.host('b').prefix, url)) === 'on a', {
        timeoutMs: 10_000,
      });
      // A live bed is nobody's stale bed.
      HostBed.removeStale();
      expect(leftBy(process.pid).length).toBeGreaterThanOrEqual(3);
    } finally {
      bed.destroy();
    }
    await once(server, 'exit'); // destroy killed what ran on the hosts
    expect(namespaces()).not.toContain(bed.host('a').ns);
    expect(leftBy(process.pid).filter((n) => n.includes(bed.runId))).toEqual([]);
  });

  it('a run stopped with SIGTERM removes its bed', async () => {
    const { child, ns } = await bedInChild();
    expect(namespaces()).toContain(ns);
    child.kill('SIGTERM');
    await once(child, 'exit');
    expect(leftBy(child.pid!)).toEqual([]);
  }, 60_000);

  it("a run killed with SIGKILL leaves its bed, and the next start removes it (only dead owners')", async () => {
    const { child, ns } = await bedInChild();
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(leftBy(child.pid!)).toContain(ns); // nothing could clean up
    const mine = HostBed.create(['y']);
    try {
      expect(leftBy(child.pid!)).toEqual([]);
      expect(namespaces()).toContain(mine.host('y').ns);
    } finally {
      mine.destroy();
    }
  }, 60_000);
});
