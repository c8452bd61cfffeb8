import { spawn } from 'node:child_process';
import { chromiumsUnder, chromiumsUsing } from './processes.js';
import { waitFor } from './wait.js';

describe('chromiumsUsing', () => {
  it('finds a helper whose command line was rewritten into one string, and only for its exact dir', async () => {
    const dir = `/tmp/fleet-processes-test-${process.pid}`;
    // A Chromium helper rewrites argv into one space-separated argv[0]; `exec -a` does the same.
    const child = spawn(
      'bash',
      ['-c', `exec -a "chromium --type=renderer --user-data-dir=${dir} --lang=en" sleep 30`],
      {
        stdio: 'ignore',
      },
    );
    try {
      await waitFor('the stand-in helper', () => chromiumsUsing(dir).includes(child.pid as number));
      expect(chromiumsUsing(`${dir}-other`)).not.toContain(child.pid);
      expect(chromiumsUsing(dir.slice(0, -2))).not.toContain(child.pid);
      expect(chromiumsUnder(dir)).toContain(child.pid);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
