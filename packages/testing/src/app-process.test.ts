import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess } from './app-process.js';
import { waitFor } from './wait.js';

const logDir = mkdtempSync(join(tmpdir(), 'fleet-app-process-'));
const started: AppProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((p) => p.kill()));
  rmSync(logDir, { recursive: true, force: true });
});

/** A node script run as an AppProcess. */
function node(name: string, script: string, prefix?: string[]): AppProcess {
  const proc = new AppProcess(name, process.execPath, ['-e', script], {
    cwd: logDir,
    logDir,
    env: { APP_NAME: name },
    ...(prefix ? { prefix } : {}),
  });
  started.push(proc);
  return proc;
}

const TICKING = `console.log('up', process.env.APP_NAME); setInterval(() => console.log('tick'), 20);`;

it('logs to <logDir>/<name>.log, stops on SIGTERM and sweeps its group', async () => {
  const proc = node(
    'polite',
    `${TICKING} process.on('SIGTERM', () => { console.log('bye'); process.exit(0); });`,
  );
  await proc.waitReady('its first line', async () => proc.log().includes('up polite'), 10_000);
  expect(await proc.stop(5000)).toBe(0);
  expect(proc.log()).toContain('bye');
  expect(proc.crashed).toBe(false);
});

it('SIGKILLs after the grace a process that ignores SIGTERM', async () => {
  const proc = node('stubborn', `${TICKING} process.on('SIGTERM', () => console.log('ignored'));`);
  await proc.waitReady('its first line', async () => proc.log().includes('up stubborn'), 10_000);
  expect(await proc.stop(300)).toBe('SIGKILL');
  expect(proc.log()).toContain('ignored');
});

it('pauses and resumes with SIGSTOP/SIGCONT; an exit nobody asked for is a crash', async () => {
  const proc = node('pausable', `${TICKING} setTimeout(() => process.exit(3), 1500);`);
  await proc.waitReady('its first line', async () => proc.log().includes('up pausable'), 10_000);
  proc.signal('SIGSTOP');
  await waitFor('stopped state', () => stateOf(proc.pid) === 'T');
  proc.signal('SIGCONT');
  expect(proc.running).toBe(true);
  expect(await proc.exited).toBe(3);
  expect(proc.crashed).toBe(true);
});

it('runs under a prefix command, and says why it was not ready when it exits first', async () => {
  const proc = node('prefixed', "console.log('prefixed=' + process.env.FLEET_PREFIXED); process.exit(5)", [
    'env',
    'FLEET_PREFIXED=1',
  ]);
  await expect(proc.waitReady('never', async () => false, 10_000)).rejects.toThrow(/prefixed exited \(5\)/);
  expect(proc.log()).toContain('prefixed=1');
});

function stateOf(pid: number): string | undefined {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
}
