import { ProviderUnreachableError } from './errors.js';
import type { ReclaimedLease } from './lease.js';
import type { LoggerPort } from './ports/logger-port.js';
import type { ProfileProvider } from './ports/profile-provider.js';
import type { Profile } from './profile.js';

export interface ReclaimedBrowsersOptions {
  /** Reads the profile as it is now (the store's `get`). */
  profile: (profileId: string) => Promise<Profile | null>;
  provider: ProfileProvider;
  logger?: LoggerPort;
  /** Between tries while the profile's host cannot be reached (default 3000 ms). */
  retryEveryMs?: number;
  /** Give up after this long (default 5 minutes): the next start stops what is left. */
  giveUpAfterMs?: number;
}

/**
 * Stops the browsers of leases taken back from dead holders (DESIGN.md section 4, worker crash).
 * The reclaim script proved the holder gone, so its browser is stopped where it runs — the
 * profile's home launcher — and a provider lock it left is cleared. When that host cannot be
 * reached (cut off, like the holder may have been), the stop is tried again every `retryEveryMs`
 * for as long as nobody has leased the profile since (its fence is still the reclaimed lease's):
 * once someone has, the new holder's start meets the leftover browser and stops it itself
 * (PROFILE_ALREADY_RUNNING), and a stop from here could kill the new holder's browser.
 */
export class ReclaimedBrowsers {
  private readonly pending = new Set<string>();
  private closed = false;
  /** Ends the wait of each sleeping try (close wakes them all). */
  private readonly wakers = new Set<() => void>();

  constructor(private readonly options: ReclaimedBrowsersOptions) {}

  /** Starts stopping each lease's browser; resolves when every one is stopped or given up. */
  stop(leases: ReclaimedLease[]): Promise<void> {
    return Promise.all(leases.map((lease) => this.stopOne(lease))).then(() => undefined);
  }

  /** Profiles whose browser is still to be stopped (tries pending). */
  get waiting(): number {
    return this.pending.size;
  }

  /** No more tries (shutdown). */
  close(): void {
    this.closed = true;
    for (const wake of this.wakers) wake();
  }

  private async stopOne(lease: ReclaimedLease): Promise<void> {
    const { retryEveryMs = 3000, giveUpAfterMs = 300_000, logger } = this.options;
    const log = { profileId: lease.profileId, fence: lease.fence };
    const startedAt = Date.now();
    this.pending.add(lease.profileId);
    try {
      for (;;) {
        const profile = await this.options.profile(lease.profileId);
        if (!profile || profile.fence !== lease.fence) return; // gone, or leased again since
        try {
          await this.options.provider.stop(profile);
          await this.options.provider.unlock?.(profile);
          return;
        } catch (error) {
          const again = error instanceof ProviderUnreachableError && !this.closed;
          if (!again || Date.now() - startedAt >= giveUpAfterMs) {
            logger?.warn({ ...log, err: error }, 'could not stop a reclaimed profile');
            return;
          }
          logger?.info(
            { ...log, provider: error.provider },
            'reclaimed profile: its host is unreachable, will try again',
          );
          await this.sleep(retryEveryMs);
          if (this.closed) return;
        }
      }
    } catch (error) {
      logger?.warn({ ...log, err: error }, 'could not stop a reclaimed profile');
    } finally {
      this.pending.delete(lease.profileId);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref?.();
      this.wakers.add(wake);
    });
  }
}
