import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort, RedisServer, testPrefix, testRedisUrl } from '@fleet/testing';
import { io as connectSocket } from 'socket.io-client';
import { KEYS, waitFor } from './test-support.js';

// `pnpm start` as an operator runs it: node --import tsx src/main.ts, configured by env, stopped by SIGTERM.

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

function run(env: Record<string, string>) {
  const output: string[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: join(__dirname, '..'),
    env: { ...process.env, LOG_LEVEL: 'info', NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exit };
}

it('serves /health, /ready and sockets, and on SIGTERM closes them and exits 0', async () => {
  const port = await freePort();
  const { child, output, exit } = run({
    REDIS_URL: testRedisUrl(),
    FLEET_PREFIX: testPrefix('main'),
    NOTIFIER_PORT: String(port),
    FLEET_API_KEYS: JSON.stringify([KEYS.ops]),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'the notifier to be ready',
    async () => {
      try {
        return (await fetch(`${url}/ready`)).status === 200;
      } catch {
        return false;
      }
    },
    { timeoutMs: 20_000 },
  );
  expect(await (await fetch(`${url}/health`)).json()).toMatchObject({ status: 'ok', connections: 0 });

  const client = connectSocket(url, {
    auth: { token: KEYS.ops.key },
    transports: ['websocket'],
    reconnection: false,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('connect_error', reject);
  });
  const reason = new Promise<string>((resolve) => client.once('disconnect', (r) => resolve(r)));

  child.kill('SIGTERM');
  expect(await exit).toBe(0);
  // A transport close, not a server disconnect: a client with reconnection on would try again.
  expect(await reason).toBe('transport close');
  const log = output.join('');
  expect(log).toContain('notifier stopped');
  expect(log).not.toContain(KEYS.ops.key);
});

it('refuses to start without FLEET_API_KEYS, saying so, with exit code 2', async () => {
  const { output, exit } = run({ REDIS_URL: testRedisUrl(), NOTIFIER_PORT: '0', FLEET_API_KEYS: '' });
  expect(await exit).toBe(2);
  expect(output.join('')).toMatch(/FLEET_API_KEYS.*required/);
});

it('connects with REDIS_PASSWORD and logs where Redis is without the password', async () => {
  const password = 'notifier-redis-pass-31';
  const server = await RedisServer.start({ password });
  try {
    const port = await freePort();
    const { child, output, exit } = run({
      REDIS_URL: `redis://127.0.0.1:${server.port}`,
      REDIS_PASSWORD: password,
      FLEET_PREFIX: testPrefix('main'),
      NOTIFIER_PORT: String(port),
      FLEET_API_KEYS: JSON.stringify([KEYS.ops]),
    });
    await waitFor(
      'the notifier to be ready',
      async () => {
        try {
          return (await fetch(`http://127.0.0.1:${port}/ready`)).status === 200;
        } catch {
          return false;
        }
      },
      { timeoutMs: 20_000 },
    );
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    const log = output.join('');
    expect(log).toContain(`single node redis://127.0.0.1:${server.port} (password set)`);
    expect(log).not.toContain(password);
  } finally {
    await server.close();
  }
});

it('refuses two Redis modes at once with exit code 2, naming both', async () => {
  const { output, exit } = run({
    REDIS_URL: testRedisUrl(),
    REDIS_CLUSTER_NODES: '127.0.0.1:7001',
    NOTIFIER_PORT: '0',
    FLEET_API_KEYS: JSON.stringify([KEYS.ops]),
  });
  expect(await exit).toBe(2);
  expect(output.join('')).toMatch(/REDIS_CLUSTER_NODES \(redisClusterNodes\): is set with REDIS_URL/);
});
