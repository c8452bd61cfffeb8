import { spawn } from 'node:child_process';
import { freePort, sleep } from '@fleet/testing';
import { dieWithParent, which } from './prereqs.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// `fleet up`'s throwaway redis-server ran on after `fleet up` was killed outright (SIGKILL: no
// handler runs). Started under dieWithParent(), it gets SIGTERM from the kernel when its parent dies.
it('a redis-server started with dieWithParent() stops when its parent is SIGKILLed', async () => {
  const prefix = dieWithParent();
  expect(prefix).toEqual([which('setpriv'), '--pdeathsig', 'TERM']); // setpriv is on every Debian
  const port = await freePort();
  const command = [
    ...prefix,
    which('redis-server')!,
    '--port',
    String(port),
    '--save',
    '',
    '--appendonly',
    'no',
  ];
  // A real process stands in for `fleet up`: it starts redis-server the way fleet up does, says its
  // pid, and lives on until killed.
  const parent = spawn(
    process.execPath,
    [
      '-e',
      `const c = require('node:child_process').spawn(process.argv[1], JSON.parse(process.argv[2]), { detached: true, stdio: 'ignore' });
       console.log(c.pid); setInterval(() => {}, 1000);`,
      command[0]!,
      JSON.stringify(command.slice(1)),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const pid = await new Promise<number>((resolve) =>
    parent.stdout.once('data', (d) => resolve(Number(String(d)))),
  );
  try {
    await sleep(300);
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
    expect(alive(pid)).toBe(false);
  } finally {
    parent.kill('SIGKILL');
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
});
