import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenOnLoopback } from '@fleet/testing';
import { APPS, appConfig, at } from './support.js';

// docker/entry.sh and docker/healthcheck.mjs run here as they run in the image (paths relative
// to the repository instead of /app).

const ENTRY = at('docker/entry.sh');
const HEALTHCHECK = at('docker/healthcheck.mjs');

/** Runs the probe as Docker does; async, so a server in this process can answer it. */
function healthcheck(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/_PORT$/.test(key)));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HEALTHCHECK, ...args], { env: { ...clean, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('docker/healthcheck.mjs', () => {
  it.each(Object.keys(APPS))(
    'probes %s on the port and path its config uses, default and overridden',
    async (app) => {
      const info = APPS[app] as (typeof APPS)[string];
      const port = appConfig(app, { FLEET_API_KEYS: '[]' }).get(info.portKey);
      expect((await healthcheck([app, '--print'])).stdout.trim()).toBe(
        `http://127.0.0.1:${port}${info.healthPath}`,
      );
      const env = (info.schema[info.portKey] as { env: string }).env;
      expect((await healthcheck([app, '--print'], { [env]: '4999' })).stdout.trim()).toBe(
        `http://127.0.0.1:4999${info.healthPath}`,
      );
    },
  );

  it('exits 0 on a 2xx answer, 1 on an error status or no answer, 2 without a target', async () => {
    const server = await listenOnLoopback(
      createServer((req, res) => {
        res.writeHead(req.url === '/health' ? 200 : 503).end();
      }),
    );
    try {
      const base = `http://127.0.0.1:${server.port}`;
      expect((await healthcheck([`${base}/health`])).status).toBe(0);
      expect((await healthcheck(['api'], { API_PORT: String(server.port) })).status).toBe(0);
      const sick = await healthcheck([`${base}/ready`]);
      expect({ status: sick.status, stderr: sick.stderr }).toEqual({
        status: 1,
        stderr: expect.stringMatching(/503/),
      });
    } finally {
      await server.close();
    }
    const refused = await healthcheck([`http://127.0.0.1:${server.port}/health`]);
    expect({ status: refused.status, stderr: refused.stderr }).toEqual({
      status: 1,
      stderr: expect.stringMatching(/ECONNREFUSED/),
    });
    // Here PID 1 is not `tini -- entry.sh <app>`: the no-argument form has nothing to probe.
    expect((await healthcheck([])).status).toBe(2);
  });
});

describe('docker/entry.sh', () => {
  it('without an app prints its usage and exits 64; another command is run as given', () => {
    const usage = spawnSync(ENTRY, [], { encoding: 'utf8' });
    expect({ status: usage.status, stderr: usage.stderr }).toEqual({
      status: 64,
      stderr: expect.stringMatching(/usage: entry\.sh api\|worker\|notifier\|launcher/),
    });
    const other = spawnSync(ENTRY, ['echo', 'hello'], { encoding: 'utf8' });
    expect({ status: other.status, stdout: other.stdout }).toEqual({ status: 0, stdout: 'hello\n' });
  });

  it('refuses to run the launcher where there is no Chromium (the app target)', () => {
    const result = spawnSync(ENTRY, ['launcher'], {
      encoding: 'utf8',
      env: { ...process.env, LAUNCHER_CHROMIUM_PATH: '/nonexistent/chromium' },
    });
    expect({ status: result.status, stderr: result.stderr }).toEqual({
      status: 64,
      stderr: expect.stringMatching(/"browser" target/),
    });
  });

  it("runs the app's main in its directory: the API without FLEET_API_KEYS stops with its config error", () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'FLEET_API_KEYS'));
    const result = spawnSync(ENTRY, ['api'], { encoding: 'utf8', env, timeout: 30_000 });
    expect({ status: result.status, stderr: result.stderr }).toEqual({
      status: 2,
      stderr: expect.stringMatching(/FLEET_API_KEYS/),
    });
  });

  describe('the launcher, started as the image starts it', () => {
    let child: ChildProcess | undefined;
    let dataDir: string;

    afterEach(() => {
      if (child?.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('is node itself (exec: no shell in between), answers its probe, and exits 0 on SIGTERM', async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'fleet-docker-test-'));
      child = spawn(ENTRY, ['launcher'], {
        env: { ...process.env, LAUNCHER_PORT: '0', LAUNCHER_DATA_DIR: dataDir, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const running = child;
      let output = '';
      running.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      const url = await new Promise<string>((resolve, reject) => {
        running.stdout?.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const found = output.match(/"url":"(http:\/\/[^"]+)".*"msg":"launcher listening"/);
          if (found?.[1]) resolve(found[1]);
        });
        running.once('exit', (code) =>
          reject(new Error(`launcher exited (${code}) before listening:\n${output}`)),
        );
      });
      expect(readFileSync(`/proc/${running.pid}/comm`, 'utf8').trim()).toBe('node');
      const probe = await healthcheck([`${url}/api/v1/version`]);
      expect({ status: probe.status, stderr: probe.stderr }).toEqual({ status: 0, stderr: '' });

      const exited = new Promise<number | null>((resolve) => running.once('exit', (code) => resolve(code)));
      running.kill('SIGTERM');
      expect(await exited).toBe(0);
    });
  });
});
