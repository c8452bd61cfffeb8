import type { CancelBus, LoggerPort } from '@fleet/core';
import { type FleetRedis, nodeOptionsOf, subscriberOf } from './connection.js';
import { Keys } from './keys.js';

export interface CancelBusOptions {
  /** Told of subscriber connection errors (the connection reconnects and resubscribes by itself). */
  logger?: LoggerPort;
}

/**
 * The cancel bus over Redis pub/sub: `announce` publishes a batch id on `Keys.cancelChannel`; each
 * `listen` subscribes on a connection of its own (a subscribed connection can run nothing else),
 * which ioredis resubscribes after a reconnect. Messages published while a listener is
 * disconnected are lost: that is acceptable because the result store refuses to claim, extend or
 * record items of a cancelled batch, so a worker that missed the message stops the item at its next
 * lease renewal at the latest. The bus only makes cancellation fast.
 */
export class RedisCancelBus implements CancelBus {
  private readonly channel: string;

  constructor(
    private readonly redis: FleetRedis,
    prefix: string,
    private readonly options: CancelBusOptions = {},
  ) {
    this.channel = new Keys(prefix).cancelChannel;
  }

  async announce(batchId: string): Promise<void> {
    await this.redis.publish(this.channel, batchId);
  }

  async listen(listener: (batchId: string) => void): Promise<() => Promise<void>> {
    const name = nodeOptionsOf(this.redis).connectionName;
    // A subscriber waits through outages whatever the source connection's role (a producer's
    // connection fails fast): queue the SUBSCRIBE until connected, reconnect forever.
    const sub = subscriberOf(this.redis, name ? `${name}:cancel` : undefined);
    sub.on('error', (err: Error) => this.options.logger?.warn({ err }, 'cancel bus connection error'));
    sub.on('message', (channel: string, batchId: string) => {
      if (channel !== this.channel) return;
      // A throwing listener must not break the connection's reply parsing.
      try {
        listener(batchId);
      } catch (err) {
        this.options.logger?.warn({ err, batchId }, 'cancel listener failed');
      }
    });
    try {
      await sub.subscribe(this.channel);
    } catch (error) {
      sub.disconnect();
      throw error;
    }
    let closed = false;
    return async () => {
      if (closed) return;
      closed = true;
      sub.removeAllListeners('message');
      await sub.quit().catch(() => sub.disconnect());
    };
  }
}
