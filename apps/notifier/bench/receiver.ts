/**
 * One receiving side of events.bench.ts, in a process of its own (forked by the bench), so the
 * raw XREAD reader and the Socket.IO client each wake from idle the same way when an event
 * arrives: neither shares an event loop with the publisher or with the other.
 *
 * `raw`: a plain XREAD BLOCK loop on the event stream (the shape of the notifier's reader, minus
 * everything else; like the notifier, it skips the other path's events without parsing them, so
 * neither path's events wake extra work elsewhere). `socket.io`: a websocket-only Socket.IO client subscribed to one batch.
 * Each arrival is stamped with process.hrtime (CLOCK_MONOTONIC, one clock for every process on the
 * machine) in the receiving callback and reported to the parent over IPC, so the IPC hop is not
 * part of the figure. Messages: `{ ready: true }` once receiving, then `{ seq, at }` (at: ms).
 */
import { createRedis, waitReady } from '@fleet/redis';
import { io as connectSocket } from 'socket.io-client';

const mode = process.argv[2];
const send = (message: object) => process.send?.(message);
const now = () => Number(process.hrtime.bigint()) / 1e6;

function arrived(seq: unknown): void {
  if (typeof seq === 'number') send({ seq, at: now() });
}

async function raw(redisUrl: string, streamKey: string, batchId: string): Promise<void> {
  const redis = createRedis(redisUrl, { role: 'worker' });
  await waitReady(redis);
  const last = await redis.xrevrange(streamKey, '+', '-', 'COUNT', 1);
  let id = last[0]?.[0] ?? '0-0';
  send({ ready: true });
  process.once('disconnect', () => redis.disconnect());
  for (;;) {
    const reply = (await redis
      .xread('COUNT', 500, 'BLOCK', 5000, 'STREAMS', streamKey, id)
      .catch(() => null)) as [string, [string, string[]][]][] | null;
    if (redis.status === 'end') return;
    for (const [entryId, fields] of reply?.[0]?.[1] ?? []) {
      id = entryId;
      // Only this path's batch, as the notifier relays only watched batches: the other path's
      // events wake this reader too, but cost no parse and no IPC (see events.bench.ts).
      if (fields[fields.indexOf('b') + 1] !== batchId) continue;
      const json = fields[fields.indexOf('e') + 1];
      if (json) arrived((JSON.parse(json) as { data: { seq?: number } }).data.seq);
    }
  }
}

async function socketIo(url: string, token: string, batchId: string): Promise<void> {
  const socket = connectSocket(url, { auth: { token }, transports: ['websocket'], reconnection: false });
  socket.on('item.completed', (event: { data: { seq?: number } }) => arrived(event.data.seq));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const ack = (await socket.timeout(10_000).emitWithAck('subscribe', { batchId })) as { ok: boolean };
  if (!ack.ok) throw new Error(`subscribe refused: ${JSON.stringify(ack)}`);
  send({ ready: true });
  process.once('disconnect', () => socket.disconnect());
}

const env = process.env;
const started =
  mode === 'raw'
    ? raw(env.BENCH_REDIS_URL!, env.BENCH_STREAM_KEY!, env.BENCH_BATCH!)
    : socketIo(env.BENCH_NOTIFIER_URL!, env.BENCH_TOKEN!, env.BENCH_BATCH!);
started.catch((error) => {
  console.error(error);
  process.exit(1);
});
