import type { RedisKeyRevocations } from '@fleet/redis';

/**
 * The revoked key names, re-read every `refreshMs` so authentication costs no Redis call; a key
 * revoked through another API process is refused here within that period. While Redis is
 * unreachable the last known set stays in force.
 */
export class RevocationCache {
  private names = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly revocations: RedisKeyRevocations,
    private readonly refreshMs = 2000,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
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
  }
}
