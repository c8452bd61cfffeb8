import type { LoggerPort } from '@fleet/core';
import type { FleetRedis, RedisKeyRevocations } from '@fleet/redis';
import type { Server } from 'socket.io';
import { NOTICES, ROOMS, refusal } from './protocol.js';

export interface RevocationWatcherOptions {
  io: Server;
  revocations: RedisKeyRevocations;
  /** A connection for pub/sub only (it is put in subscriber mode). */
  subscriber: FleetRedis;
  /** Re-read the revoked set this often (0 = only on announcements and reconnects). */
  checkEveryMs: number;
  logger: LoggerPort;
}

/**
 * Drops the sockets of revoked keys: at once when a revocation is announced on the pub/sub
 * channel, and, because pub/sub loses messages while a connection is down, by re-reading the
 * revoked set every `checkEveryMs` and whenever the subscriber connection is ready again.
 */
export class RevocationWatcher {
  private timer: NodeJS.Timeout | undefined;
  /** Announcements heard so far, and the count at which each name was last announced. */
  private heard = 0;
  private readonly heardAt = new Map<string, number>();

  constructor(private readonly options: RevocationWatcherOptions) {}

  async start(): Promise<void> {
    const { subscriber, revocations, checkEveryMs, logger } = this.options;
    subscriber.on('message', (channel: string, name: string) => {
      if (channel !== revocations.channel) return;
      this.heard++;
      this.heardAt.set(name, this.heard);
      logger.info({ key: name }, 'API key revoked: dropping its sockets');
      this.drop(name);
    });
    // After a reconnect (ioredis subscribes again by itself): announcements made while the
    // connection was down are lost, so read the set.
    subscriber.on('ready', () => void this.check());
    await subscriber.subscribe(revocations.channel);
    if (checkEveryMs > 0) {
      this.timer = setInterval(() => void this.check(), checkEveryMs);
      this.timer.unref();
    }
  }

  /** A mark to pass to `announcedSince` later. */
  mark(): number {
    return this.heard;
  }

  /**
   * Was `name` announced revoked after `mark`? Closes the race of a handshake that read the
   * revoked set just before a revocation and joins its key's room just after the announcement.
   */
  announcedSince(name: string, mark: number): boolean {
    return (this.heardAt.get(name) ?? 0) > mark;
  }

  /** Read the revoked set and drop every connected socket of a key in it. */
  async check(): Promise<void> {
    const { io, revocations, logger } = this.options;
    let names: string[];
    try {
      names = await revocations.list();
    } catch (err) {
      logger.warn({ err }, 'could not read the revoked API keys (will try again)');
      return;
    }
    for (const name of names) {
      if (io.sockets.adapter.rooms.has(ROOMS.key(name))) {
        logger.info({ key: name }, 'API key found revoked: dropping its sockets');
        this.drop(name);
      }
    }
  }

  private drop(name: string): void {
    const room = this.options.io.in(ROOMS.key(name));
    room.emit(NOTICES.keyRevoked, refusal('KEY_REVOKED'));
    // `true`: close the connection too. The client gets "io server disconnect" and, unlike after a
    // transport close, does not reconnect by itself.
    room.disconnectSockets(true);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.options.subscriber.disconnect();
  }
}
