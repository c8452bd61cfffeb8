import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { createRedis, RedisEventStream, SecretBox, waitReady } from '@fleet/redis';
import {
  deletePrefix,
  freePort,
  listenOnLoopback,
  RedisServer,
  testPrefix,
  testRedisUrl,
} from '@fleet/testing';
import { RedisWebhookStore, SIGNATURE_HEADER } from '@fleet/webhooks';
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

it("delivers webhooks as configured by env: WEBHOOK_ALLOWED_TARGETS, and the API's FLEET_SECRET_KEY opens the secret", async () => {
  const secretKey = SecretBox.generateKey();
  const prefix = testPrefix('main');
  const redis = createRedis(testRedisUrl(), { role: 'producer' });
  await waitReady(redis, 10_000);
  const got: { signature: string; body: string }[] = [];
  const receiver = await listenOnLoopback(
    createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        got.push({ signature: String(req.headers[SIGNATURE_HEADER]), body });
        res.end();
      });
    }),
  );
  try {
    // What the API writes: the key's secret sealed under FLEET_SECRET_KEY, the batch's webhook.
    const store = new RedisWebhookStore(
      redis,
      prefix,
      { retentionSec: 600 },
      SecretBox.fromSetting(secretKey),
    );
    const secret = await store.rotateSecret('ops');
    await store.setBatchWebhook('wb1', 'ops', { url: `http://127.0.0.1:${receiver.port}/hook` });
    const port = await freePort();
    const { child, exit, output } = run({
      REDIS_URL: testRedisUrl(),
      FLEET_PREFIX: prefix,
      NOTIFIER_PORT: String(port),
      FLEET_API_KEYS: JSON.stringify([KEYS.ops]),
      FLEET_SECRET_KEY: secretKey,
      WEBHOOK_ALLOWED_TARGETS: `127.0.0.1:${receiver.port}`,
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
    await new RedisEventStream(redis, prefix).publish({
      type: 'batch.completed',
      batchId: 'wb1',
      at: Date.now(),
      data: {},
    });
    await waitFor('the delivery', () => got.length === 1, { timeoutMs: 20_000 });
    const [t, v1] = got[0]!.signature.split(',').map((part) => part.split('=')[1]!);
    expect(v1).toBe(createHmac('sha256', secret).update(`${t}.${got[0]!.body}`).digest('hex'));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(output.join('')).not.toContain(secret);
  } finally {
    await receiver.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  }
});

it('stops by itself when the process named by FLEET_PARENT_PID (fleet up) is killed outright', async () => {
  const port = await freePort();
  // A stand-in for `fleet up`: starts the notifier as its child, with its own pid as the parent.
  const script = `
    const { spawn } = require('node:child_process');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, FLEET_PARENT_PID: String(process.pid) }, stdio: 'ignore', detached: true,
    });
    console.log(child.pid);
    setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ['-e', script], {
    cwd: join(__dirname, '..'),
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      NODE_ENV: 'test',
      REDIS_URL: testRedisUrl(),
      FLEET_PREFIX: testPrefix('main'),
      NOTIFIER_PORT: String(port),
      FLEET_API_KEYS: JSON.stringify([KEYS.ops]),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(parent);
  const pid = Number(
    await new Promise<string>((resolve) => parent.stdout?.once('data', (b: Buffer) => resolve(String(b)))),
  );
  const running = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  try {
    await waitFor(
      'the notifier to be ready',
      async () => (await fetch(`http://127.0.0.1:${port}/ready`).catch(() => null))?.status === 200,
      {
        timeoutMs: 20_000,
      },
    );
    parent.kill('SIGKILL');
    await waitFor('the orphaned notifier to stop', async () => !running(), { timeoutMs: 15_000 });
  } finally {
    if (running()) process.kill(pid, 'SIGKILL');
  }
});
