import type { ApiKeyRing, Principal } from '@fleet/auth';
import type { ErrorCode } from '@fleet/contracts';
import type { LoggerPort } from '@fleet/core';
import type { RedisKeyRevocations } from '@fleet/redis';
import type { Socket } from 'socket.io';
import { REDIS_DOWN, ROOMS, refusal } from './protocol.js';
import type { RevocationWatcher } from './revocation-watcher.js';

/** What the notifier keeps on each socket (`socket.data`). */
export interface SocketState {
  principal: Principal;
}

/** The `connect_error` a client sees: `err.message` starts with the code; `err.data` = {code, message}. */
export class ConnectError extends Error {
  readonly data: { code: ErrorCode; message: string };

  constructor(code: ErrorCode, message?: string) {
    const data = refusal(code, message);
    super(`${code}: ${data.message}`);
    this.data = data;
  }
}

export function principalOf(socket: Socket): Principal {
  return (socket.data as SocketState).principal;
}

/**
 * The handshake check: `auth.token` must be one of the configured API keys, and that key must not
 * be revoked. The socket joins its key's room here, so a revocation finds it.
 */
export function authMiddleware(deps: {
  keys: ApiKeyRing;
  revocations: RedisKeyRevocations;
  watcher: RevocationWatcher;
  logger: LoggerPort;
}) {
  return async (socket: Socket, next: (err?: Error) => void): Promise<void> => {
    const auth = socket.handshake.auth as Record<string, unknown> | undefined;
    const token = auth?.token;
    if (typeof token !== 'string' || token === '') {
      return next(new ConnectError('UNAUTHORIZED', 'no API key: connect with `auth: {token: "<API key>"}`'));
    }
    const principal = deps.keys.verify(token);
    if (!principal) return next(new ConnectError('UNAUTHORIZED', 'the API key is not valid'));
    const mark = deps.watcher.mark();
    let revoked: boolean;
    try {
      revoked = await deps.revocations.isRevoked(principal.name);
    } catch (err) {
      deps.logger.warn({ err, key: principal.name }, 'could not check a key against the revoked set');
      return next(new ConnectError('REDIS_UNAVAILABLE', REDIS_DOWN));
    }
    if (revoked || deps.watcher.announcedSince(principal.name, mark)) {
      return next(new ConnectError('KEY_REVOKED'));
    }
    (socket.data as SocketState).principal = principal;
    socket.join(ROOMS.key(principal.name));
    next();
  };
}
