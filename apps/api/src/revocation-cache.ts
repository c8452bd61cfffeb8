import type { FleetRedis, RedisKeyRevocations } from '@fleet/redis';

/**
 * The revoked key names, held in memory so authentication costs no Redis call. A key revoked
 * through another API process is refused here as soon as its announcement arrives on the
 * revocation channel (a pub/sub `subscriber` connection); because pub/sub loses messages while a
 * connection is down, the set is also re-read whenever that connection is ready again and every
 * `refreshMs` (which is also how a restored key comes back). While Redis is unreachable the last
 * known set stays in force.
 */
export class RevocationCache {
  private names = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly revocations: RedisKeyRevocations,
    private readonly refreshMs = 2000,
    private readonly subscriber: FleetRedis | null = null,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    if (this.subscriber) {
      const { channel } = this.revocations;
      this.subscriber.on('message', (from: string, name: string) => {
        if (from === channel) this.names.add(name);
      });
      this.subscriber.on('ready', () => void this.refresh());
      // Waited for at most 2 s: with Redis away at start the API still serves; the subscription is
      // made when the connection comes (offline queue) and renewed by ioredis after reconnects.
      const subscribed = this.subscriber.subscribe(channel).catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([subscribed, new Promise((r) => (timer = setTimeout(r, 2000)))]);
      clearTimeout(timer);
    }
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  async refresh(): Promise<void> {
    try {
      this.names = new Set(await this.revocations.list());
    } catch {
      // keep the last known set
    }
  }

  isRevoked = (name: string): boolean => this.names.has(name);

  /** Revoke (or restore) and take it into account here at once. */
  async set(name: string, revoked: boolean): Promise<boolean> {
    const changed = revoked ? await this.revocations.revoke(name) : await this.revocations.restore(name);
    if (revoked) this.names.add(name);
    else this.names.delete(name);
    return changed;
  }

  stop(): void {
    clearInterval(this.timer);
    this.subscriber?.disconnect();
  }
}
