import type { FleetEvent } from '@fleet/contracts';
import { createLogger } from '@fleet/logger';
import { type RunningNotifier, startNotifier } from '@fleet/notifier';
import { testRedisUrl } from '@fleet/testing';
import { type Socket as ClientSocket, io as connectSocket } from 'socket.io-client';
import { KEYS } from './api.js';

/** A notifier in this process on 127.0.0.1 and a free port, over `prefix`, with the fault keys. */
export function startTestNotifier(prefix: string): Promise<RunningNotifier> {
  return startNotifier(
    {
      redisUrl: testRedisUrl(),
      prefix,
      notifierPort: 0,
      apiKeys: Object.values(KEYS),
      corsOrigins: [],
      revocationCheckMs: 5000,
    },
    createLogger({ name: 'notifier-faults', level: process.env.TEST_LOG ?? 'silent', pretty: false }),
    { host: '127.0.0.1' },
  );
}

export interface Client {
  socket: ClientSocket;
  /** Every event received, in order (attached before connecting). */
  received: { name: string; payload: unknown }[];
  /** The fleet events received (name = the event's type). */
  events(batchId?: string): FleetEvent[];
}

/** A socket.io-client connected with `token` (rejects with the connect_error). */
export async function connectClient(
  port: number,
  token: unknown,
  options: { transports?: ('websocket' | 'polling')[] } = {},
): Promise<Client> {
  const socket = connectSocket(`http://127.0.0.1:${port}`, {
    auth: token === undefined ? {} : { token },
    transports: options.transports ?? ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 5000,
  });
  const received: Client['received'] = [];
  socket.onAny((name: string, payload: unknown) => received.push({ name, payload }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
  return {
    socket,
    received,
    events(batchId) {
      return received
        .filter((e) => {
          const p = e.payload as { type?: unknown } | null;
          return typeof p?.type === 'string' && p.type === e.name;
        })
        .map((e) => e.payload as FleetEvent)
        .filter((e) => batchId === undefined || e.batchId === batchId);
    },
  };
}

/** Emit with an ack and wait for it (`ms` guards against a server that never answers). */
export function ask(socket: ClientSocket, event: string, payload: unknown, ms = 5000): Promise<unknown> {
  return socket.timeout(ms).emitWithAck(event, payload);
}
