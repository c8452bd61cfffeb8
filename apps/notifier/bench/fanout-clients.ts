/**
 * Socket.IO clients of fanout.bench.ts, in a process of their own (forked), so the notifier's
 * process is measured alone. Env: BENCH_URLS (comma-separated notifier URLs; client i uses
 * url i % n), BENCH_TOKEN, BENCH_FIRST / BENCH_CLIENTS (this process's clients, by global index),
 * BENCH_BATCHES (client i subscribes to batch `fan-<i % batches>`). Each event carries
 * `data.seq` and `data.t` (CLOCK_MONOTONIC ms before its XADD); each receipt's latency is kept.
 * IPC: sends `{ ready }` once every client is subscribed; on `{ count }` sends
 * `{ received, duplicates }`, on `{ report }` the same with every receipt's `latencies`.
 */
import { io as connectSocket, type Socket } from 'socket.io-client';

const env = process.env;
const urls = env.BENCH_URLS!.split(',');
const first = Number(env.BENCH_FIRST);
const count = Number(env.BENCH_CLIENTS);
const batches = Number(env.BENCH_BATCHES);
const now = () => Number(process.hrtime.bigint()) / 1e6;

let received = 0;
let duplicates = 0;
const latencies: number[] = [];
const sockets: Socket[] = [];

async function connect(i: number): Promise<void> {
  const socket = connectSocket(urls[i % urls.length]!, {
    auth: { token: env.BENCH_TOKEN },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  const seen = new Set<number>();
  socket.on('item.completed', (event: { data: { seq: number; t: number } }) => {
    latencies.push(now() - event.data.t);
    if (seen.has(event.data.seq)) duplicates++;
    else {
      seen.add(event.data.seq);
      received++;
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const ack = (await socket.timeout(30_000).emitWithAck('subscribe', { batchId: `fan-${i % batches}` })) as {
    ok: boolean;
  };
  if (!ack.ok) throw new Error(`subscribe refused: ${JSON.stringify(ack)}`);
}

async function main(): Promise<void> {
  for (let i = first; i < first + count; i += 50) {
    const group: Promise<void>[] = [];
    for (let j = i; j < Math.min(i + 50, first + count); j++) group.push(connect(j));
    await Promise.all(group);
  }
  process.on('message', (message: { count?: boolean; report?: boolean }) => {
    if (message.count) process.send?.({ received, duplicates });
    if (message.report) process.send?.({ received, duplicates, latencies });
  });
  process.once('disconnect', () => {
    for (const socket of sockets) socket.disconnect();
  });
  process.send?.({ ready: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
