import { canSee } from '@fleet/auth';
import type { ErrorCode } from '@fleet/contracts';
import type { LoggerPort } from '@fleet/core';
import type { FleetRedis, RedisBatchStore } from '@fleet/redis';
import type { Socket } from 'socket.io';
import { principalOf } from './auth-middleware.js';
import type { Fanout, ReplayWatch } from './fanout.js';
import {
  type Ack,
  MAX_SUBSCRIPTIONS_PER_SOCKET,
  NOTICES,
  type ProtocolError,
  parseSubscribe,
  parseUnsubscribe,
  REDIS_DOWN,
  ROOMS,
  refusal,
} from './protocol.js';
import { replayBatch } from './replay.js';

export interface SubscribeDeps {
  batches: RedisBatchStore;
  fanout: Fanout;
  /** The connection replays read the stream on (fails fast while Redis is down). */
  redis: FleetRedis;
  streamKey: string;
  logger: LoggerPort;
}

class Refusal extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ProtocolError['details'],
  ) {
    super(message);
  }
}

const ok: Ack = { ok: true };

/** The two arguments a client event came with → its payload and a reply that is always callable. */
function split(args: unknown[]): { payload: unknown; reply: (ack: Ack) => void } {
  const last = args[args.length - 1];
  const reply = typeof last === 'function' ? (last as (ack: Ack) => void) : () => {};
  const payload = typeof last === 'function' ? (args.length > 1 ? args[0] : undefined) : args[0];
  return { payload, reply };
}

/**
 * `subscribe` and `unsubscribe` for one socket. Every failure becomes an `{ok: false, error}` ack
 * (or nothing, when the client sent no ack function); nothing a client sends can throw out of here.
 */
export function registerSubscriptionHandlers(socket: Socket, deps: SubscribeDeps): void {
  const principal = principalOf(socket);
  /** This socket's latest replay of each batch (kept after it is done, so unsubscribe can stop it). */
  const replays = new Map<string, ReplayWatch>();
  const log = (obj: object) => ({ socketId: socket.id, key: principal.name, ...obj });

  /**
   * Requests of one socket run one at a time, in arrival order, and are acknowledged in that order:
   * `subscribe` then `unsubscribe` sent without waiting end unsubscribed, whatever Redis's timing.
   */
  let queue: Promise<void> = Promise.resolve();
  const answer = (event: string, args: unknown[], work: (payload: unknown) => Promise<void>) => {
    const { payload, reply } = split(args);
    const run = async () => {
      try {
        await work(payload);
        reply(ok);
      } catch (err) {
        if (err instanceof Refusal) {
          const error: ProtocolError = { code: err.code, message: err.message };
          if (err.details) error.details = err.details;
          deps.logger.debug(log({ event, code: err.code }), 'request refused');
          reply({ ok: false, error });
          return;
        }
        deps.logger.warn(log({ err, event }), 'request failed (Redis?)');
        reply({
          ok: false,
          error: refusal('REDIS_UNAVAILABLE', REDIS_DOWN),
        });
      }
    };
    queue = queue.then(run); // `run` never rejects
  };

  const batchSubscriptions = () => {
    const ids = new Set<string>();
    for (const [batchId, watch] of replays) if (!watch.live) ids.add(batchId);
    for (const room of socket.rooms) if (room.startsWith('batch:')) ids.add(room.slice('batch:'.length));
    return ids.size;
  };

  const cancelReplay = (batchId: string) => {
    const watch = replays.get(batchId);
    if (!watch) return;
    replays.delete(batchId);
    deps.fanout.cancel(watch);
  };

  const subscribeBatch = async (batchId: string, lastEventId: string | undefined) => {
    const batch = await deps.batches.get(batchId);
    // A batch of another tenant is answered exactly like a missing one: existence is not revealed.
    if (!batch || !canSee(principal, batch.owner)) {
      throw new Refusal('BATCH_NOT_FOUND', `no batch "${batchId}" for this API key`);
    }
    const already = socket.rooms.has(ROOMS.batch(batchId)) || replays.has(batchId);
    if (!already && batchSubscriptions() >= MAX_SUBSCRIPTIONS_PER_SOCKET) {
      throw new Refusal(
        'TOO_MANY_SUBSCRIPTIONS',
        `a socket may watch at most ${MAX_SUBSCRIPTIONS_PER_SOCKET} batches: unsubscribe from some first`,
      );
    }
    cancelReplay(batchId); // a newer request replaces one in progress
    if (!socket.connected) return;
    if (lastEventId === undefined) {
      socket.join(ROOMS.batch(batchId));
      return;
    }
    const watch = deps.fanout.beginReplay(socket, batchId, lastEventId);
    replays.set(batchId, watch);
    try {
      const result = await replayBatch(deps.redis, {
        streamKey: deps.streamKey,
        batchId,
        afterId: lastEventId,
        logger: deps.logger,
        cancelled: () => watch.cancelled || !socket.connected,
        truncated: (oldestId) => {
          if (!watch.cancelled) socket.emit(NOTICES.replayTruncated, { batchId, lastEventId, oldestId });
        },
        send: (event) => {
          if (!watch.cancelled) socket.emit(event.type, event);
        },
      });
      deps.fanout.finishReplay(watch, result.lastSentId);
      deps.logger.debug(log({ batchId, lastEventId, replayed: result.sent }), 'replayed');
    } catch (err) {
      if (replays.get(batchId) === watch) cancelReplay(batchId);
      throw err;
    }
  };

  // Parsed on arrival, so a newer request for a batch stops that batch's replay at once instead
  // of waiting behind it in the queue.
  socket.on('subscribe', (...args: unknown[]) => {
    const parsed = parseSubscribe(split(args).payload);
    if (parsed.ok && 'batchId' in parsed.value) cancelReplay(parsed.value.batchId);
    answer('subscribe', args, async () => {
      if (!parsed.ok) throw new Refusal(parsed.error.code, parsed.error.message, parsed.error.details);
      const request = parsed.value;
      if ('all' in request) {
        if (principal.role !== 'admin') {
          throw new Refusal('FORBIDDEN', 'only admin keys may subscribe to all events');
        }
        socket.join(ROOMS.all);
        return;
      }
      await subscribeBatch(request.batchId, request.lastEventId);
    });
  });

  socket.on('unsubscribe', (...args: unknown[]) => {
    const parsed = parseUnsubscribe(split(args).payload);
    if (parsed.ok && 'batchId' in parsed.value) cancelReplay(parsed.value.batchId);
    answer('unsubscribe', args, async () => {
      if (!parsed.ok) throw new Refusal(parsed.error.code, parsed.error.message, parsed.error.details);
      const request = parsed.value;
      if ('all' in request) {
        socket.leave(ROOMS.all);
        return;
      }
      cancelReplay(request.batchId);
      socket.leave(ROOMS.batch(request.batchId));
    });
  });

  socket.on('disconnect', () => {
    for (const batchId of [...replays.keys()]) cancelReplay(batchId);
  });
}
