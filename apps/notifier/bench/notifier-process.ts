/** Bench helpers: the notifier as `pnpm start` runs it, in a process of its own. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort, sleep } from '@fleet/testing';

export async function startNotifierProcess(
  redisUrl: string,
  prefix: string,
  key: { name: string; role: string; key: string },
): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const output: string[] = [];
  const child = spawn(
    process.execPath,
    [...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx', 'src/main.ts'],
    {
      cwd: join(import.meta.dirname, '..'),
      env: {
        ...process.env,
        REDIS_URL: redisUrl,
        FLEET_PREFIX: prefix,
        NOTIFIER_PORT: String(port),
        FLEET_API_KEYS: JSON.stringify([key]),
        LOG_LEVEL: process.env.BENCH_LOG ?? 'warn',
      },
      stdio: ['ignore', 'inherit', 'pipe'],
    },
  );
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the notifier exited at start:\n${output.join('')}`);
    const ok = await fetch(`http://127.0.0.1:${port}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { port, child };
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`the notifier was not ready within 30 s:\n${output.join('')}`);
}

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}
