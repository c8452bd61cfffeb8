import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { freePort, testRedisUrl } from '@fleet/testing';
import { product, startDemoSite } from './demo-site.js';
import { installHint, missingPrerequisites } from './prereqs.js';

const CLI_DIR = join(__dirname, '..', '..');

function up(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/up/main.ts', ...args], {
    cwd: CLI_DIR,
    env: {
      ...process.env,
      REDIS_URL: testRedisUrl(),
      FLEET_UP_FILE: '/tmp/fleet-up-test-unused.json',
      ...env,
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('fleet up', () => {
  it('serves the demo shop the example batch reads', async () => {
    const site = await startDemoSite(0);
    try {
      const html = await (await fetch(`${site.url}/products/7`)).text();
      expect(html).toContain(`<h1>${product(7).name}</h1>`);
      expect(html).toContain(`<p class="price">${product(7).price}</p>`);
      expect((await fetch(`${site.url}/`)).status).toBe(200);
      expect(await (await fetch(`${site.url}/search?q=lamp`)).text()).toContain('class="result"');
      expect((await fetch(`${site.url}/nope`)).status).toBe(404);
    } finally {
      await site.close();
    }
  });

  it('names every missing system package in one message with the command that installs it', () => {
    expect(
      missingPrerequisites({
        needRedisServer: false,
        chromiumPath: '/nonexistent/chromium',
        chromedriverPath: '/usr/bin/chromedriver',
      }),
    ).toEqual(['chromium']);
    expect(installHint(['chromium', 'redis-server'])).toBe(
      'Fleet needs chromium, redis-server on this machine. Run ./scripts/setup.sh (it installs them with apt-get when it can), or: sudo apt-get install -y chromium redis-server',
    );
  });

  it('takes its options after the `--` that `pnpm start -- --workers 3` passes on', () => {
    const result = up(['--', '--workers', '0'], {});
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--workers takes a whole number from 1 to');
    const help = up(['--', '--help'], {});
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: fleet up/m);
  });

  it('stops at once with one line when a prerequisite is missing (no stack trace)', () => {
    const result = up([], { LAUNCHER_CHROMIUM_PATH: '/nonexistent/chromium' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^fleet up: Fleet needs chromium on this machine/),
    ]);
  });

  it('says which port is taken and which setting moves it', async () => {
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', () => resolve()));
    try {
      const result = up([], { API_PORT: String(port) });
      expect(result.status).toBe(1);
      expect(result.stderr.trim()).toBe(
        `fleet up: port ${port} is in use (API_PORT): stop what uses it, or set API_PORT to another port`,
      );
    } finally {
      blocker.close();
    }
  });

  it('refuses bad flags with the usage', () => {
    const result = up(['--workers', 'many'], {});
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^fleet up: --workers takes a whole number from 1 to 32\n$/);
    const unknown = up(['--frobnicate'], {});
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('usage: fleet up');
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
  });
});
